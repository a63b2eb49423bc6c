"""The household list (困难职工档案列表): scoped, filtered, searched, sorted, keyset-paginated.

Cost per page is independent of how deep the user pages and of how many archives the subtree holds:

* rows: one query seeking on (sort key, id) after/before a cursor, `LIMIT size + 1` — no OFFSET;
* total: one bounded count (`LIMIT COUNT_BOUND + 1` inside); above the bound the page says
  "more than N" instead of scanning a national subtree for an exact number;
* labels come from the row (select_related org and division) and the model's choices: no per-row query.

The same filters feed the Excel export (`bangfu.registry.exports`).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.db.models import F, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bangfu import audit
from bangfu.orgs.models import Org
from bangfu.registry.filters import (
    SORT_LABELS,
    SORTS,
    HouseholdFilter,
    identity_search_hash,
    identity_token,
    read_identity_token,
    sort_key,
)
from bangfu.registry.models import Category, Household, Member, State

PAGE_SIZES = (25, 50, 100)
DEFAULT_PAGE_SIZE = 25
COUNT_BOUND = 1000
ORG_OPTIONS_LIMIT = 200
CURSOR_PARAMS = ("after", "before")


def scoped_households(user, action: str = "view"):
    """The households this user may act on, with what a list row shows (one query, no per-row lookups)."""
    return (
        Household.objects.restrict(user, action)
        .select_related("org", "division")
        .only(
            "id", "archive_number", "state", "category", "common_level", "is_temporary_relief",
            "head_name_masked", "household_size", "need_score", "review_due_on", "updated_at",
            "org__id", "org__name", "org__short_name", "org__path", "division__code", "division__name",
        )
    )


# --- keyset pagination ------------------------------------------------------------------------------------


@dataclass
class Page:
    rows: list
    next_url: str | None
    prev_url: str | None
    first_url: str | None
    total: int
    total_capped: bool
    size: int
    sort: str


def _encode(value, pk: int) -> str:
    if isinstance(value, (dt.datetime, dt.date)):
        value = value.isoformat()
    elif isinstance(value, Decimal):
        value = str(value)
    raw = json.dumps([value, pk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(token: str | None, field: str):
    """(value, pk) from a cursor, or None for a missing or tampered cursor (then: the first page)."""
    if not token or len(token) > 200:
        return None
    try:
        value, pk = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if not isinstance(pk, int) or isinstance(pk, bool) or pk <= 0:
            return None
        if value is None:
            return None, pk
        if field == "updated_at":
            value = dt.datetime.fromisoformat(value)
        elif field == "review_due_on":
            value = dt.date.fromisoformat(value)
        elif field == "need_score":
            value = Decimal(value)
        elif not isinstance(value, str):
            return None
        return value, pk
    except (ValueError, TypeError, InvalidOperation, json.JSONDecodeError):
        return None


def _seek(field: str, descending: bool, nullable: bool, value, pk: int, forward: bool) -> Q:
    """Rows strictly after (forward) or before (value, pk) in the order "field (nulls last), id".

    The redundant `field <= value` (or >=) bound lets the database start an index scan at the cursor.
    """
    travel = "lt" if descending == forward else "gt"  # the direction we move along field and id
    if value is None:  # the cursor sits among the NULLs, which come last
        among_nulls = Q(**{f"{field}__isnull": True, f"pk__{travel}": pk})
        return among_nulls if forward else Q(**{f"{field}__isnull": False}) | among_nulls
    condition = Q(**{f"{field}__{travel}": value}) | Q(**{field: value, f"pk__{travel}": pk})
    if forward and nullable:
        return condition | Q(**{f"{field}__isnull": True})
    return Q(**{f"{field}__{travel}e": value}) & condition


def _ordering(field: str, descending: bool, nullable: bool, forward: bool) -> list:
    """ORDER BY of a page. NULLS LAST/FIRST only where the column can be NULL: on a NOT NULL column the
    clause would stop PostgreSQL from walking the (field, id) index backwards (it does not use NOT NULL
    to match sort orders) and a national page would sort a million rows."""
    down = descending if forward else not descending
    if not nullable:
        return [f"-{field}" if down else field, "-pk" if down else "pk"]
    nulls = {"nulls_last": True} if forward else {"nulls_first": True}
    key = F(field).desc(**nulls) if down else F(field).asc(**nulls)
    return [key, "-pk" if down else "pk"]


def keyset_page(queryset, params, *, sort: str, size: int) -> Page:
    field, descending, nullable = SORTS[sort]
    after = _decode(params.get("after"), field)
    before = _decode(params.get("before"), field) if after is None else None
    forward = before is None
    cursor = after or before
    page_qs = queryset
    if cursor is not None:
        page_qs = page_qs.filter(_seek(field, descending, nullable, cursor[0], cursor[1], forward))
    rows = list(page_qs.order_by(*_ordering(field, descending, nullable, forward))[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if not forward:
        rows.reverse()
    has_next = more if forward else cursor is not None
    has_prev = (cursor is not None) if forward else more

    keep = [(k, v) for k, v in params.items() if k not in CURSOR_PARAMS and v not in ("", None)]

    def link(name, row):
        return "?" + urlencode([*keep, (name, _encode(getattr(row, field), row.pk))])

    total = queryset.order_by().values("pk")[: COUNT_BOUND + 1].count()
    return Page(
        rows=rows,
        next_url=link("after", rows[-1]) if has_next and rows else None,
        prev_url=link("before", rows[0]) if has_prev and rows else None,
        first_url=("?" + urlencode(keep)) if cursor is not None else None,
        total=min(total, COUNT_BOUND),
        total_capped=total > COUNT_BOUND,
        size=size,
        sort=sort,
    )


def page_size(value) -> int:
    try:
        size = int(value)
    except (TypeError, ValueError):
        return DEFAULT_PAGE_SIZE
    return size if size in PAGE_SIZES else DEFAULT_PAGE_SIZE


def filtered_households(request, action: str = "view"):
    """(filterset, queryset) for the list and the export: scoped first, then the user's filters.

    Invalid filters give no rows (and their messages), rather than silently listing everything.
    """
    filterset = HouseholdFilter(request.GET or None, queryset=scoped_households(request.user, action),
                                request=request)
    if filterset.is_bound and not filterset.is_valid():
        return filterset, filterset.queryset.none()
    return filterset, filterset.qs


def _sort_links(params, current: str) -> dict:
    keep = [(k, v) for k, v in params.items() if k not in (*CURSOR_PARAMS, "sort") and v not in ("", None)]
    links = {}
    for name, label in SORT_LABELS.items():
        active = current.lstrip("-") == name
        # Clicking the active column flips its direction; a new column starts in its natural one.
        if active:
            target = name if current.startswith("-") else f"-{name}"
        else:
            target = f"-{name}" if name in ("updated", "need") else name
        links[name] = {
            "url": "?" + urlencode([*keep, ("sort", target)]),
            "label": label,
            "active": active,
            "descending": active and current.startswith("-"),
        }
    return links


def _org_options(user) -> list:
    # A short list to pick from (the user's org and the two levels below); any other org of the
    # subtree is reachable by typing its code.
    if not user.org_id:
        return []
    depth = user.org.depth
    return list(
        Org.objects.restrict(user, "view").filter(depth__lte=depth + 2)
        .order_by("path").values_list("code", "name")[:ORG_OPTIONS_LIMIT]
    )


BADGES = {"deep": "text-bg-danger", "relative": "text-bg-warning", "accident": "text-bg-info"}


def table_rows(rows, today) -> list[dict]:
    """What each row shows, as plain strings (labels looked up once per page, not per cell)."""
    categories = {k: str(v) for k, v in Category.choices}
    states = {k: str(v) for k, v in State.choices}
    detail = reverse("registry:detail", args=[0])[: -len("0/")]
    return [
        {
            "url": f"{detail}{h.pk}/",
            "archive_number": h.archive_number,
            "head": h.head_name_masked or "—",
            "category": categories.get(h.category, h.category),
            "badge": BADGES.get(h.common_level, "text-bg-secondary"),
            "temporary": h.is_temporary_relief,
            "state": states.get(h.state, h.state),
            "org": h.org.short_name or h.org.name,
            "division": h.division.name,
            "size": h.household_size,
            "need": "—" if h.need_score is None else str(h.need_score),
            "review": h.review_due_on.isoformat() if h.review_due_on else "—",
            "overdue": bool(h.review_due_on and h.review_due_on < today and h.state == State.ACTIVE),
            "updated": timezone.localtime(h.updated_at).strftime("%Y-%m-%d"),
        }
        for h in rows
    ]


def _choices(field, value) -> list[tuple[str, str, bool]]:
    return [(str(k), str(v), str(k) == value) for k, v in field.choices if k != ""]


def filter_fields(filterset) -> dict:
    """The filter form as plain values for a hand-written template (Django's widget rendering costs
    several milliseconds per page for eleven fields)."""
    form = filterset.form
    data = form.data if form.is_bound else {}
    fields = {}
    for name, field in form.fields.items():
        value = data.get(name, "") if hasattr(data, "get") else ""
        fields[name] = {
            "name": name, "id": f"id_{name}", "label": field.label, "value": value,
            "errors": form.errors.get(name, []) if form.is_bound else [],
            "checked": value in ("on", "true", "True", "1"),
            "choices": _choices(field, value) if hasattr(field, "choices") else None,
        }
    return fields


def _search_by_post(request):
    """The search form posts (so an ID number never sits in a URL): answer with a redirect to the list.

    A full ID number with exactly one archive in scope opens it; otherwise the number travels on as a
    signed, expiring token (`qid`), the other filters as they were.
    """
    params = {k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken" and v not in ("", None)}
    token = identity_token(params.get("q", ""))
    if token is not None:
        params.pop("q")
        params["qid"] = token
        if len(params) == 1:
            opened = _open_by_identity(request, read_identity_token(token)["h"])
            if opened is not None:
                return opened
    return redirect(reverse("registry:list") + ("?" + urlencode(params) if params else ""))


def _open_by_identity(request, identity: str | None = None):
    """The search box holding only a full ID number: open that person's archive straight away.

    The most frequent search at a service counter, so it skips the filter form: one indexed lookup of
    the keyed hash within the user's scope. With no match or several, the normal list answers.
    """
    if identity is None:
        if set(request.GET) != {"q"}:
            return None
        identity = identity_search_hash(request.GET["q"])
        if identity is None:
            return None
    found = list(
        Household.objects.restrict(request.user, "view")
        .filter(pk__in=Member.objects.filter(identity_hash=identity).values("household_id"))
        .order_by().values_list("pk", flat=True)[:2]
    )
    if len(found) != 1:
        return None
    audit.log_access(request, "view", object_type="registry.household", rows=1,
                     filters={"q": "<identity number>"}, sort=sort_key(None))
    return redirect("registry:detail", pk=found[0])


@login_required
def household_list(request):
    user = request.user
    if not user.has_role_permission("registry.view_household"):
        raise Http404
    if request.method == "POST":
        return _search_by_post(request)
    opened = _open_by_identity(request)
    if opened is not None:
        return opened
    filterset, queryset = filtered_households(request, "view")
    sort = sort_key(request.GET.get("sort"))
    size = page_size(request.GET.get("size"))
    if filterset.search_kind == "id" and not request.GET.get("list"):
        # A full ID number means "open this person's archive": with exactly one match in scope, go there.
        found = list(queryset.order_by().values_list("pk", flat=True)[:2])
        if len(found) == 1:
            audit.log_access(request, "view", object_type="registry.household", rows=1,
                             filters=filterset.summary(), sort=sort)
            return redirect("registry:detail", pk=found[0])
    page = keyset_page(queryset, request.GET, sort=sort, size=size)
    audit.log_access(request, "view", object_type="registry.household", rows=len(page.rows),
                     filters=filterset.summary(), sort=sort)
    export_query = urlencode([(k, v) for k, v in request.GET.items() if k not in (*CURSOR_PARAMS, "size") and v])
    today = timezone.localdate()
    return render(request, "registry/list.html", {
        "form": filterset.form,
        "fields": filter_fields(filterset),
        "page": page,
        "rows": table_rows(page.rows, today),
        "sort_links": _sort_links(request.GET, sort),
        "page_sizes": PAGE_SIZES,
        "org_options": _org_options(user),
        "can_export": user.has_role_permission("registry.export_household"),
        "id_search_masked": (read_identity_token(request.GET.get("qid", "")) or {}).get("m", ""),
        "export_query": export_query,
        "advanced_open": any(request.GET.get(k) for k in (
            "category", "common_level", "cause", "state", "org", "division", "review_overdue", "stale",
            "temporary")),
        "crumbs": [(_("Household archives"), None)],
    })
