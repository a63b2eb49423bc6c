"""Filters and search of the household list (and of its Excel export, which uses the same filters).

`HouseholdFilter(params, queryset=Household.objects.restrict(user, ...), request=request)` narrows an
already scoped queryset; nothing here widens it. A filter naming an org outside the user's scope
matches nothing (it is looked up through `Org.objects.restrict`, so it cannot even tell the org exists).

The search box understands, in this order:

* an identity number (mainland ID in 18 or 15 digits, residence permits, foreign PR ID, birth
  certificate): normalised (full-width, spaces, lower-case x), then matched exactly on the keyed hash
  of any member — never decrypted, never compared in clear;
* Latin letters only: pinyin initials, a prefix of the head's initials or of any member's;
* letters and digits: an archive number (exact or prefix);
* anything else: a name (exact or prefix) of any member — names are stored plain.
"""

from __future__ import annotations

import datetime as dt
import re

import django_filters
from django import forms
from django.core import signing
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bangfu.core.crypto import keyed_hash
from bangfu.core.identity import convert_15_to_18, normalise
from bangfu.core.masking import mask_id_number, mask_name
from bangfu.orgs.models import Org
from bangfu.registry.models import Category, CommonLevel, Household, HouseholdCause, Member, State
from bangfu.registry.models.codes import CodeList, code_choices
from bangfu.registry.models.lifecycle import ExitReason

# Number-shaped search input that can only be an identity document.
_ID_18 = re.compile(r"^\d{17}[\dX]$")
_ID_15 = re.compile(r"^\d{15}$")
_BIRTH_CERT = re.compile(r"^[A-Z]\d{9}$")
_INITIALS = re.compile(r"^[a-z]{1,32}$")
_ARCHIVE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-_/]{0,31}$")
_DIVISION = re.compile(r"^\d{2,6}$")

STALE_AFTER_DAYS = 365


def identity_search_hash(text: str) -> str | None:
    """The keyed hash to look up when `text` is shaped like an identity number, else None."""
    number = normalise(text)
    if _ID_15.match(number):
        number = convert_15_to_18(number)
    if _ID_18.match(number) or _BIRTH_CERT.match(number):
        return keyed_hash(number)
    return None


def search_q(text: str) -> tuple[str, Q]:
    """(kind, condition) for the search box; kind is one of id, initials, archive, name."""
    text = (text or "").strip()
    identity = identity_search_hash(text)
    if identity is not None:
        members = Member.objects.filter(identity_hash=identity).values("household_id")
        return "id", Q(pk__in=members)
    compact = normalise(text)
    if _INITIALS.match(compact.lower()) and compact.isalpha():
        initials = compact.lower()
        members = Member.objects.filter(name_initials__startswith=initials).values("household_id")
        return "initials", Q(head_name_initials__startswith=initials) | Q(pk__in=members)
    if _ARCHIVE.match(compact):
        return "archive", Q(archive_number__startswith=compact)
    members = Member.objects.filter(name__startswith=text).values("household_id")
    return "name", Q(pk__in=members)


def division_prefix(code: str) -> str:
    """440100 → 4401, 440000 → 44, 440106 → 440106, 4401 → 4401 (a code or the prefix of one)."""
    code = code.strip()
    if len(code) == 6:
        while code.endswith("00") and len(code) > 2:
            code = code[:-2]
    return code


class HouseholdFilterForm(forms.Form):
    def clean_q(self):
        value = (self.cleaned_data.get("q") or "").strip()
        if len(value) > 64:
            raise forms.ValidationError(_("The search text is too long (at most 64 characters)."))
        return value

    def clean_qid(self):
        value = (self.cleaned_data.get("qid") or "").strip()
        if value and read_identity_token(value) is None:
            raise forms.ValidationError(_("This ID search has expired; type the number again."))
        return value

    def clean_division(self):
        value = (self.cleaned_data.get("division") or "").strip()
        if value and not _DIVISION.match(value):
            raise forms.ValidationError(_("Enter a division code of 2 to 6 digits, e.g. 440106 or 4401."))
        return value


IDENTITY_TOKEN_SALT = "registry.identity-search"  # noqa: S105 - a signing salt, not a secret
IDENTITY_TOKEN_MAX_AGE = 3600  # seconds a search link carrying an ID token stays valid


def identity_token(text: str) -> str | None:
    """A signed, expiring token standing for an ID number in a URL (never the number itself).

    The search form posts the number; the list answers with a redirect whose URL carries this token,
    so the clear number reaches neither server logs nor browser history (DOMAIN.md §9).
    """
    identity = identity_search_hash(text)
    if identity is None:
        return None
    return signing.dumps({"h": identity, "m": mask_id_number(normalise(text))}, salt=IDENTITY_TOKEN_SALT)


def read_identity_token(token: str) -> dict | None:
    try:
        return signing.loads(token, salt=IDENTITY_TOKEN_SALT, max_age=IDENTITY_TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None


class HouseholdFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_search")
    qid = django_filters.CharFilter(label=_("ID number"), method="filter_identity_token")
    category = django_filters.ChoiceFilter(label=_("Category"), choices=Category.choices)
    common_level = django_filters.ChoiceFilter(label=_("Common level"), choices=CommonLevel.choices)
    cause = django_filters.ChoiceFilter(label=_("Cause"), method="filter_cause")
    cause_main_only = django_filters.BooleanFilter(
        label=_("Main cause only"), method="filter_noop", widget=forms.CheckboxInput
    )
    state = django_filters.ChoiceFilter(label=_("State"), choices=State.choices)
    exit_reason = django_filters.ChoiceFilter(label=_("Exit reason"), choices=ExitReason.choices)
    org = django_filters.CharFilter(label=_("Union (org code, with its subtree)"), method="filter_org")
    division = django_filters.CharFilter(label=_("Residence division (code or prefix)"), method="filter_division")
    review_overdue = django_filters.BooleanFilter(
        label=_("Review overdue"), method="filter_review_overdue", widget=forms.CheckboxInput
    )
    stale = django_filters.BooleanFilter(
        label=_("Not updated for a year"), method="filter_stale", widget=forms.CheckboxInput
    )
    temporary = django_filters.BooleanFilter(
        label=_("Temporary relief"), method="filter_temporary", widget=forms.CheckboxInput
    )

    class Meta:
        model = Household
        fields: list[str] = []
        form = HouseholdFilterForm

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        self.filters["cause"].extra["choices"] = code_choices(CodeList.CAUSE)
        self.search_kind = ""
        for field in self.form.fields.values():
            if isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs.setdefault("class", "form-check-input")
            else:
                field.widget.attrs.setdefault("class", "form-select form-select-sm" if isinstance(
                    field.widget, forms.Select) else "form-control form-control-sm")
        self.form.fields["q"].widget.attrs.update(
            placeholder=_("ID number, name, pinyin initials or archive number"), autocomplete="off",
            maxlength="64",
        )
        self.form.fields["org"].widget.attrs.update(list="org-options", autocomplete="off")
        self.form.fields["division"].widget.attrs.update(inputmode="numeric", maxlength="6")

    @property
    def user(self):
        return getattr(self.request, "user", None)

    # --- the filter methods -------------------------------------------------------------------------

    def filter_noop(self, queryset, name, value):
        return queryset  # read by filter_cause

    def filter_identity_token(self, queryset, name, value):
        if not value:
            return queryset
        token = read_identity_token(value)
        if token is None:
            return queryset.none()
        self.search_kind = "id"
        return queryset.filter(pk__in=Member.objects.filter(identity_hash=token["h"]).values("household_id"))

    def filter_search(self, queryset, name, value):
        if not value:
            return queryset
        self.search_kind, condition = search_q(value)
        return queryset.filter(condition)

    def filter_cause(self, queryset, name, value):
        if not value:
            return queryset
        causes = HouseholdCause.objects.filter(code=value)
        if self.form.cleaned_data.get("cause_main_only"):
            causes = causes.filter(is_main=True)
        return queryset.filter(pk__in=causes.values("household_id"))

    def filter_org(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        # Looked up through the scope: an org outside it is "no such org", hence no rows.
        org = Org.objects.restrict(self.user, "view").filter(code=value).only("path").first()
        if org is None:
            return queryset.none()
        return queryset.filter(org__path__startswith=org.path)

    def filter_division(self, queryset, name, value):
        if not value:
            return queryset
        prefix = division_prefix(value)
        if len(prefix) == 6:
            return queryset.filter(division_id=prefix)
        return queryset.filter(division__code__startswith=prefix)

    def filter_review_overdue(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(state=State.ACTIVE, review_due_on__lt=timezone.localdate())

    def filter_stale(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(updated_at__lt=timezone.now() - dt.timedelta(days=STALE_AFTER_DAYS))

    def filter_temporary(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(is_temporary_relief=True)

    def summary(self) -> dict:
        """The filters used, for the access log (the search text of an ID search is never logged)."""
        if not self.form.is_bound or not hasattr(self.form, "cleaned_data"):
            return {}
        used = {k: v for k, v in self.form.cleaned_data.items() if v not in (None, "", False)}
        if "qid" in used:
            used["qid"] = "<identity number>"
        if "q" in used:
            if self.search_kind == "id":
                used["q"] = "<identity number>"
            elif self.search_kind == "name":
                used["q"] = mask_name(used["q"])
        return {k: str(v) for k, v in used.items()}


# --- sorting ---------------------------------------------------------------------------------------------

# Sort options of the list: name -> (field, descending, nullable). Every order ends with the id in the
# same direction, which makes it total and lets keyset pagination seek on (field, id).
SORTS: dict[str, tuple[str, bool, bool]] = {
    "-updated": ("updated_at", True, False),
    "updated": ("updated_at", False, False),
    "archive": ("archive_number", False, False),
    "-archive": ("archive_number", True, False),
    "-need": ("need_score", True, True),
    "need": ("need_score", False, True),
    "category": ("category", False, False),
    "-category": ("category", True, False),
    "review": ("review_due_on", False, True),
    "-review": ("review_due_on", True, True),
}
DEFAULT_SORT = "-updated"
SORT_LABELS = {
    "updated": _("Updated"),
    "archive": _("Archive number"),
    "need": _("Need score"),
    "category": _("Category"),
    "review": _("Review due"),
}


def sort_key(value) -> str:
    return value if value in SORTS else DEFAULT_SORT
