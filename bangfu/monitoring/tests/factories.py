"""Test data of dynamic management: a real living line, households with real incomes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from bangfu.orgs.models import LocalStandard

LINE = Decimal("1100")


def living_line(division_id="440106", amount=LINE, since=dt.date(2020, 1, 1)):
    """The line of the division, in force from `since` (later rows other tests made are removed first)."""
    LocalStandard.objects.filter(division_id=division_id, kind="living_line").delete()
    return LocalStandard.objects.create(division_id=division_id, kind="living_line", amount=amount,
                                        effective_from=since, source="test", illustrative=True)
