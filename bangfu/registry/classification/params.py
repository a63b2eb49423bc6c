"""The parameters in force for a division on a date: ONE lookup used by the single and the bulk path."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from bangfu.core.months import month_starts
from bangfu.orgs.models import Division, living_line, minimum_wage
from bangfu.registry.models.classification import DEFAULT_COMMON_LEVELS, ClassificationPolicy
from bangfu.registry.models.codes import codes_with_flag

# Used only when not even a national default policy row exists (e.g. a fresh test database before
# the data migration ran): the values of DOMAIN.md §1, flagged illustrative in the explanation.
_FALLBACK = {
    "scheme": "A", "marginal_multiplier": Decimal("1.5"), "relative_multiplier": Decimal("2"),
    "accident_pci_multiplier": Decimal("3"), "accident_cost_share": Decimal("0.80"),
    "financial_assets_multiplier": Decimal("24"), "consecutive_months": 6, "working_age_from": 16,
    "working_age_to": 60,
}


def to_fen(amount) -> int:
    return int((Decimal(amount) * 100).quantize(Decimal("1")))


def years_before(on: dt.date, years: int) -> dt.date:
    """The same calendar day `years` earlier (29 February → 28 February)."""
    try:
        return on.replace(year=on.year - years)
    except ValueError:
        return on.replace(year=on.year - years, day=28)


@dataclass(frozen=True)
class Params:
    on: dt.date
    division_code: str
    scheme: str
    line_fen: int | None
    line_amount: Decimal | None
    line_division: str
    line_division_name: str
    line_effective_from: dt.date | None
    line_source: str
    line_illustrative: bool
    wage_fen: int
    wage_amount: Decimal | None
    wage_effective_from: dt.date | None
    wage_division: str
    marginal_multiplier: Decimal
    relative_multiplier: Decimal
    accident_pci_multiplier: Decimal
    accident_cost_share: Decimal
    financial_assets_multiplier: Decimal
    consecutive_months: int
    working_age_from: int
    working_age_to: int
    common_levels: tuple
    policy_id: int | None
    policy_division: str
    policy_effective_from: dt.date | None
    policy_source: str
    policy_illustrative: bool
    counted_income_types: tuple
    no_job_statuses: tuple
    marginal_causes: tuple
    accident_causes: tuple

    # Windows and cut-off dates derived from `on` (shared by both paths).
    @property
    def months(self) -> list[dt.date]:
        return month_starts(self.on, 12)

    @property
    def last_months(self) -> list[dt.date]:
        return month_starts(self.on, self.consecutive_months)

    @property
    def window_start(self) -> dt.date:
        return self.months[0]

    @property
    def working_age_youngest_birth(self) -> dt.date:
        """Born on or before this date: at least `working_age_from` years old on `on`."""
        return years_before(self.on, self.working_age_from)

    @property
    def working_age_oldest_birth_after(self) -> dt.date:
        """Born after this date: not yet `working_age_to + 1` years old on `on`."""
        return years_before(self.on, self.working_age_to + 1)

    @property
    def labour_since_latest(self) -> dt.date:
        return years_before(self.on, 1)

    def common_level(self, category: str) -> str:
        return dict(self.common_levels).get(category, "") if category else ""

    def key(self) -> tuple:
        """Households whose parameters have the same key are classified by the same SQL."""
        return (self.scheme, self.line_fen, self.wage_fen, self.marginal_multiplier, self.relative_multiplier,
                self.accident_pci_multiplier, self.accident_cost_share, self.financial_assets_multiplier,
                self.consecutive_months, self.working_age_from, self.working_age_to)


def policy_in_force(division: Division, on: dt.date) -> ClassificationPolicy | None:
    for code in [*division.lineage_codes(), None]:
        row = (
            ClassificationPolicy.objects.filter(division_id=code, effective_from__lte=on)
            .order_by("-effective_from").first()
        )
        if row is not None:
            return row
    return None


def resolve(division: Division | str, on: dt.date) -> Params:
    if isinstance(division, str):
        division = Division.objects.get(pk=division)
    policy = policy_in_force(division, on)
    p = {k: getattr(policy, k) for k in _FALLBACK} if policy else dict(_FALLBACK)
    line = living_line(division, on)
    wage = minimum_wage(division, on)
    levels = (policy.common_levels if policy and policy.common_levels else None) or DEFAULT_COMMON_LEVELS
    return Params(
        on=on, division_code=division.code, **p,
        line_fen=to_fen(line.amount) if line else None,
        line_amount=line.amount if line else None,
        line_division=line.division_id if line else "",
        line_division_name=line.division.name if line else "",
        line_effective_from=line.effective_from if line else None,
        line_source=line.source if line else "",
        line_illustrative=line.illustrative if line else False,
        wage_fen=to_fen(wage.amount) if wage else 0,
        wage_amount=wage.amount if wage else None,
        wage_effective_from=wage.effective_from if wage else None,
        wage_division=wage.division_id if wage else "",
        common_levels=tuple(sorted(levels.items())),
        policy_id=policy.pk if policy else None,
        policy_division=(policy.division_id or "") if policy else "",
        policy_effective_from=policy.effective_from if policy else None,
        policy_source=policy.source if policy else "built-in default (DOMAIN.md §1)",
        policy_illustrative=policy.illustrative if policy else True,
        counted_income_types=tuple(sorted(codes_with_flag("income_type", "counts"))),
        no_job_statuses=tuple(sorted(codes_with_flag("work_status", "no_job"))),
        marginal_causes=tuple(sorted(codes_with_flag("cause", "marginal"))),
        accident_causes=tuple(sorted(codes_with_flag("cause", "accident"))),
    )
