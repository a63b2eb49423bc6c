"""Keyset pagination for the audit logs, which only grow.

OFFSET pages get slower the deeper you go and shift while new rows arrive; a cursor on the id (the
logs are ordered newest first by id) costs the same on every page. The total shown is bounded: counting
stops at `COUNT_LIMIT` so a page never scans the whole log just to print a number.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

PAGE_SIZE = 50
COUNT_LIMIT = 1000


@dataclass
class KeysetPage:
    rows: list
    older_url: str | None
    newer_url: str | None
    total: int
    total_capped: bool


def _cursor(value) -> int | None:
    try:
        cursor = int(value)
    except (TypeError, ValueError):
        return None  # a tampered cursor just means "first page"
    return cursor if cursor > 0 else None


def keyset_page(queryset, params, *, size: int = PAGE_SIZE) -> KeysetPage:
    before, after = _cursor(params.get("before")), _cursor(params.get("after"))
    if after is not None and before is None:
        rows = list(queryset.filter(id__gt=after).order_by("id")[: size + 1])
        has_newer = len(rows) > size
        rows = rows[:size][::-1]
        has_older = bool(rows) and queryset.filter(id__lt=rows[-1].id).exists()
    else:
        page = queryset.filter(id__lt=before) if before is not None else queryset
        rows = list(page.order_by("-id")[: size + 1])
        has_older = len(rows) > size
        rows = rows[:size]
        has_newer = before is not None and bool(rows) and queryset.filter(id__gt=rows[0].id).exists()

    keep = [(key, value) for key, value in params.items() if key not in ("before", "after") and value]
    total = queryset.order_by()[: COUNT_LIMIT + 1].count()
    return KeysetPage(
        rows=rows,
        older_url="?" + urlencode([*keep, ("before", rows[-1].id)]) if has_older else None,
        newer_url="?" + urlencode([*keep, ("after", rows[0].id)]) if has_newer else None,
        total=min(total, COUNT_LIMIT),
        total_capped=total > COUNT_LIMIT,
    )
