"""How often each kind of helper visits (DOMAIN.md §4: branch cadre monthly, workshop cadre quarterly, plant leader
half-yearly), and the due date of the next visit.

* A union sets a frequency for a kind of helper (`VisitFrequency`) for its whole subtree; the nearest union along
  the household's lineage that sets the kind wins (the household's own union first, then the unions above it).
  The household's union decides, not the helper's: a household is visited at the rhythm its union keeps,
  whoever the helper is.
* When no union of the lineage sets a kind, the platform's default table below applies. Its values follow the
  domain brief's examples and are ILLUSTRATIVE: they are not a national rule and are shown as such. They are
  code, not a data migration, because a fresh installation may have no national union when it migrates.
* The due date is computed in SQL for many rows at once (`HelperAssignment.objects.with_visit_due()`), with the
  interval as a correlated subquery on `VisitFrequency`, and in Python for one row (`visit_due_on`) with the
  same rule.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Case, F, Func, IntegerField, OuterRef, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.db.models.lookups import StartsWith
from django.db.utils import NotSupportedError
from django.utils.translation import gettext_lazy as _

# kind -> (label, days between visits). Illustrative defaults (see the module's docstring).
DEFAULT_FREQUENCIES: dict[str, tuple] = {
    "branch_cadre": (_("Branch cadre"), 30),
    "workshop_cadre": (_("Workshop cadre"), 90),
    "plant_leader": (_("Plant leader"), 182),
    "union": (_("The union as a whole"), 90),
}
# A kind that is neither set along the lineage nor in the table (a union removed the row that defined it).
FALLBACK_INTERVAL_DAYS = 90
MAX_INTERVAL_DAYS = 730
UNION_KIND = "union"


class EpochDay(Func):
    """Days since 1970-01-01 of a date, as an integer, on SQLite and PostgreSQL alike: due dates are compared and
    sorted in SQL as plain numbers (the two databases share no "date plus a column of days" syntax)."""

    output_field = IntegerField()
    arity = 1

    def as_sqlite(self, compiler, connection, **extra):
        # julianday('1970-01-01') is exactly 2440587.5; dates are stored as 'YYYY-MM-DD' text.
        return self.as_sql(compiler, connection, template="CAST(julianday(%(expressions)s) - 2440587.5 AS INTEGER)",
                           **extra)

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="(%(expressions)s - DATE '1970-01-01')", **extra)

    def as_sql(self, compiler, connection, function=None, template=None, **extra):
        if template is None:
            raise NotSupportedError(f"EpochDay is written for SQLite and PostgreSQL, not {connection.vendor}")
        return super().as_sql(compiler, connection, function=function, template=template, **extra)


def epoch_day(day: dt.date) -> int:
    return (day - dt.date(1970, 1, 1)).days


def _default_interval(kind_field: str):
    return Case(
        *[When(**{kind_field: kind}, then=Value(days)) for kind, (_label, days) in DEFAULT_FREQUENCIES.items()],
        default=Value(FALLBACK_INTERVAL_DAYS), output_field=IntegerField(),
    )


def interval_days_expression(kind_field: str = "helper_kind", org_path_field: str = "household__org__path"):
    """The visit interval of each row as an SQL expression: the `VisitFrequency` of the row's kind set by the
    nearest union whose path is a prefix of the row's org path (the deepest one), else the default table."""
    from bangfu.helpers.models import VisitFrequency

    nearest = (
        VisitFrequency.objects.filter(helper_kind=OuterRef(kind_field))
        .filter(StartsWith(OuterRef(org_path_field), F("org__path")))
        .order_by("-org__depth").values("interval_days")[:1]
    )
    return Coalesce(Subquery(nearest, output_field=IntegerField()), _default_interval(kind_field))


@dataclass(frozen=True)
class Frequency:
    """A kind of helper as it applies to one union: its label, interval and where the value comes from."""

    kind: str
    label: str
    interval_days: int
    set_by: object | None  # the Org whose VisitFrequency applies; None for the default table
    illustrative: bool

    @property
    def choice_label(self) -> str:
        from django.utils.translation import gettext

        return gettext("%(kind)s (visit every %(days)d days)") % {"kind": self.label, "days": self.interval_days}


def lineage_paths(org) -> list[str]:
    """The materialised paths of `org` and every union above it, nearest first."""
    step = type(org).steplen
    return [org.path[:end] for end in range(len(org.path), 0, -step)]


def frequencies_for(org) -> dict[str, Frequency]:
    """Every kind of helper known to `org`: the default table, overridden (and extended) by the unions of its
    lineage, the nearest union winning. Ordered by interval."""
    from bangfu.helpers.models import VisitFrequency

    known = {kind: Frequency(kind, str(label), days, None, True)
             for kind, (label, days) in DEFAULT_FREQUENCIES.items()}
    rows = (VisitFrequency.objects.filter(org__path__in=lineage_paths(org)).select_related("org")
            .order_by("org__depth"))  # farthest first, so nearer unions overwrite
    for row in rows:
        known[row.helper_kind] = Frequency(row.helper_kind, row.label, row.interval_days, row.org, row.illustrative)
    return dict(sorted(known.items(), key=lambda item: (item[1].interval_days, item[1].label)))


def interval_for(org, kind: str) -> int:
    """The interval of `kind` for households of `org` (the same rule as `interval_days_expression`)."""
    frequency = frequencies_for(org).get(kind)
    return frequency.interval_days if frequency else FALLBACK_INTERVAL_DAYS


def visit_due_on(assignment) -> dt.date | None:
    """When the next visit of the household under `assignment` is due: its latest visit (or the start of the
    assignment when it was never visited) plus the interval of the helper's kind. None for an ended one."""
    from bangfu.helpers.models import Visit

    if assignment.ends_on is not None:
        return None
    last = (Visit.objects.filter(household_id=assignment.household_id).order_by("-visited_on")
            .values_list("visited_on", flat=True).first())
    base = last or assignment.starts_on
    return base + dt.timedelta(days=interval_for(assignment.household.org, assignment.helper_kind))
