"""Code lists shipped as data (DOMAIN.md §2): work status, health, disability, housing, causes, …

Each list is a set of rows in `CodeItem`; forms, the API and imports validate against the active rows,
and pages show the label in the user's language. Rules that depend on a code's meaning (which causes
count for the marginal test, which evidence a cause needs, which income types count) read the row's
`flags`, so a province can add its own codes (disability, single parent) without a code change.
"""

from __future__ import annotations

import time

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class CodeList(models.TextChoices):
    WORK_STATUS = "work_status", _("Work status")
    HEALTH = "health", _("Health status")
    DISABILITY_TYPE = "disability_type", _("Disability type")
    HOUSING = "housing", _("Housing type")
    MARITAL = "marital", _("Marital status")
    HUKOU = "hukou", _("Household registration (hukou) type")
    CAUSE = "cause", _("Cause of hardship")
    EVIDENCE = "evidence", _("Evidence document")
    INCOME_TYPE = "income_type", _("Income type")
    EXPENSE_KIND = "expense_kind", _("Expense kind")
    RELATION = "relation", _("Relation to the head")
    ETHNICITY = "ethnicity", _("Ethnicity")
    POLITICAL = "political", _("Political status")
    EMPLOYER_TYPE = "employer_type", _("Employer type")
    SCHOOL_STAGE = "school_stage", _("School stage")
    MEDICAL_INSURANCE = "medical_insurance", _("Medical insurance")
    MODEL_WORKER = "model_worker", _("Model-worker level")
    INDUSTRY = "industry", _("Industry")


class CodeItemQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def of(self, code_list: str):
        return self.filter(code_list=code_list)


class CodeItem(models.Model):
    """One entry of a code list, e.g. (cause, "6", 重大疾病, Serious disease)."""

    code_list = models.CharField(_("code list"), max_length=24, choices=CodeList.choices)
    code = models.CharField(_("code"), max_length=24)
    name_zh = models.CharField(_("name (Chinese)"), max_length=64)
    name_en = models.CharField(_("name (English)"), max_length=96)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    flags = models.JSONField(
        _("rule flags"), default=dict, blank=True,
        help_text=_("What the rules need to know about this code, e.g. {\"marginal\": true} for a cause."),
    )

    objects = CodeItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("code list entry")
        verbose_name_plural = _("code list entries")
        ordering = ["code_list", "sort_order", "code"]
        constraints = [models.UniqueConstraint(fields=["code_list", "code"], name="uniq_code_per_list")]

    def __str__(self) -> str:
        return f"{self.code} {self.label}"

    @property
    def label(self) -> str:
        return self.name_zh if (get_language() or "zh-hans").startswith("zh") else self.name_en


def code_choices(code_list: str) -> list[tuple[str, str]]:
    """(code, label) pairs of the active entries, for form fields and API enums."""
    return [(item.code, item.label) for item in CodeItem.objects.active().of(code_list)]


def code_label(code_list: str, code: str) -> str:
    """The label of one code in the user's language ('' for an empty code, the code itself if unknown)."""
    if not code:
        return ""
    labels = _labels_cache().get(code_list, {})
    item = labels.get(code)
    return item.label if item else code


_LABELS: dict = {"loaded_at": 0.0, "table": None}
_LABELS_TTL_SECONDS = 60


def _labels_cache() -> dict[str, dict[str, CodeItem]]:
    # Small and read on every page: kept per process for a minute and dropped at once when an entry
    # is saved here (other processes see an admin's edit within the minute).
    now = time.monotonic()
    if _LABELS["table"] is None or now - _LABELS["loaded_at"] > _LABELS_TTL_SECONDS:
        table: dict[str, dict[str, CodeItem]] = {}
        for item in CodeItem.objects.all():
            table.setdefault(item.code_list, {})[item.code] = item
        _LABELS.update(table=table, loaded_at=now)
    return _LABELS["table"]


def forget_code_labels(**_kwargs) -> None:
    _LABELS["table"] = None


def codes_with_flag(code_list: str, flag: str) -> list[str]:
    """Codes of a list whose `flags[flag]` is true (e.g. causes that qualify for the marginal test)."""
    return [
        item.code for item in CodeItem.objects.active().of(code_list)
        if item.flags.get(flag)
    ]


def validate_code(code_list: str, value: str, *, field_label=None) -> None:
    """Refuse a code that is not an active entry of the list (same check for forms, API and imports)."""
    if value in (None, ""):
        return
    if not CodeItem.objects.active().of(code_list).filter(code=value).exists():
        raise ValidationError(
            _("“%(value)s” is not a valid entry of the list “%(list)s”."),
            code="invalid_code", params={"value": value, "list": field_label or CodeList(code_list).label},
        )
