"""The household's whole timeline (时间线): every row the user may see, newest first, filtered by group and date
range, keyset-paginated. The archive page's lifecycle panel shows the latest rows and links here.

Cost per page does not grow with the household's history: the rows are one query seeking on (at, id) after
or before a cursor with `LIMIT size + 1`; the counts per group are one `GROUP BY kind` over the household's
rows (a household has hundreds, not millions). Rows are built by the panel's own `timeline_rows`, so the page
hides the same summaries from a user who may not read the record they tell of (a helper: no incomes).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from bangfu import audit
from bangfu.core.scoping import get_scoped_or_404
from bangfu.registry.models import Household, TimelineEvent
from bangfu.registry.models.timeline import GROUP_LABELS, group_of, kinds_in_group
from bangfu.registry.panels.lifecycle import timeline_rows

PAGE_SIZE = 50
DEFAULT_GROUP = "lifecycle"  # the group every kind falls into unless it is registered elsewhere (group_of)


class TimelineFilterForm(forms.Form):
    """Which groups and which days; empty means everything."""

    group = forms.MultipleChoiceField(label=_("Show"), required=False, widget=forms.CheckboxSelectMultiple,
                                      choices=lambda: list(GROUP_LABELS.items()))
    since = forms.DateField(label=_("From date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end date comes before the start date."))
        return data


def group_filter(groups) -> Q:
    """Rows whose kind is in one of `groups`, exactly as `group_of` files them: a kind nobody registered falls
    into the default group, so that group is "every kind not known to be elsewhere" rather than a fixed list."""
    chosen = set(groups)
    if DEFAULT_GROUP in chosen:
        elsewhere = set()
        for group in GROUP_LABELS:
            if group not in chosen:
                elsewhere |= kinds_in_group(group)
        return ~Q(kind__in=sorted(elsewhere)) if elsewhere else Q()
    kinds = set()
    for group in chosen:
        kinds |= kinds_in_group(group)
    return Q(kind__in=sorted(kinds))


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


# --- keyset pagination -----------------------------------------------------------------------------------


def _cursor(event) -> str:
    return f"{event.at.isoformat()}~{event.pk}"


def _read_cursor(text: str | None):
    """(at, id) from a cursor, or None for anything malformed (then the page starts from the newest row)."""
    if not text or "~" not in text or len(text) > 80:
        return None
    at_text, _sep, pk_text = text.rpartition("~")
    try:
        at = dt.datetime.fromisoformat(at_text)
    except ValueError:
        return None
    if not pk_text.isascii() or not pk_text.isdigit() or len(pk_text) > 18:
        return None
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    return at, int(pk_text)


@dataclass
class TimelinePage:
    rows: list
    newer_url: str | None
    older_url: str | None
    newest_url: str | None


def _page(events, params: dict, base_url: str, *, older=None, newer=None, size: int = PAGE_SIZE) -> tuple:
    """One page of `events` (newest first) after `older` / before `newer` (cursors already read)."""
    if newer is not None:
        at, pk = newer
        chunk = list(events.filter(Q(at__gt=at) | Q(at=at, pk__gt=pk)).order_by("at", "id")[: size + 1])
        more_newer = len(chunk) > size
        chunk = list(reversed(chunk[:size]))
        more_older = True
    else:
        if older is not None:
            at, pk = older
            events = events.filter(Q(at__lt=at) | Q(at=at, pk__lt=pk))
        chunk = list(events.order_by("-at", "-id")[: size + 1])
        more_older = len(chunk) > size
        chunk = chunk[:size]
        more_newer = older is not None

    def url(**cursor) -> str:
        query = urlencode({**params, **cursor}, doseq=True)
        return f"{base_url}?{query}" if query else base_url

    return chunk, TimelinePage(
        rows=[],
        newer_url=url(newer=_cursor(chunk[0])) if chunk and more_newer else None,
        older_url=url(older=_cursor(chunk[-1])) if chunk and more_older else None,
        newest_url=url() if (older is not None or newer is not None) else None,
    )


# --- the page ---------------------------------------------------------------------------------------------


@login_required
def household_timeline(request, pk):
    user = request.user
    household = get_scoped_or_404(Household.objects.select_related("org"), user, "view", pk=pk)
    audit.log_access(request, "view", obj=household, page="timeline")
    form = TimelineFilterForm(request.GET or None)
    groups, since, until = [], None, None
    if form.is_bound and form.is_valid():
        groups, since, until = form.cleaned_data["group"], form.cleaned_data["since"], form.cleaned_data["until"]

    dated = TimelineEvent.objects.restrict(user, "view").filter(household=household)
    if since:
        dated = dated.filter(at__gte=_day_start(since))
    if until:
        dated = dated.filter(at__lt=_day_start(until + dt.timedelta(days=1)))

    # Rows per group within the dates (one GROUP BY kind): the chips' counts and the total shown.
    per_group = dict.fromkeys(GROUP_LABELS, 0)
    for kind, count in dated.order_by().values_list("kind").annotate(n=Count("id")).values_list("kind", "n"):
        per_group[group_of(kind)] = per_group.get(group_of(kind), 0) + count
    total = sum(per_group[g] for g in groups) if groups else sum(per_group.values())

    events = dated.filter(group_filter(groups)) if groups else dated
    params = {key: value for key, value in (("group", groups), ("since", since), ("until", until)) if value}
    params = {k: ([str(x) for x in v] if isinstance(v, list) else str(v)) for k, v in params.items()}
    chunk, page = _page(events.select_related("actor", "actor_org"), params,
                        reverse("registry:timeline", args=[household.pk]),
                        older=_read_cursor(request.GET.get("older")), newer=_read_cursor(request.GET.get("newer")))
    page.rows = timeline_rows(user, chunk)
    chips = [{"key": key, "label": label, "count": per_group.get(key, 0), "checked": key in groups}
             for key, label in GROUP_LABELS.items()]
    title = gettext("Timeline")
    return render(request, "registry/timeline.html", {
        "household": household, "form": form, "page": page, "chips": chips, "total": total,
        "filtered": bool(groups or since or until), "title": title,
        "crumbs": [(household.archive_number, reverse("registry:detail", args=[household.pk])), (title, "")],
    })
