"""The exclusion indicators of DOMAIN.md §1 computed from a household's economic-check results.

Per household, from the latest result of each requested person:

* two or more residential homes (sum over the persons);
* any non-residential property;
* a motor vehicle (the centre's count excludes motorbikes, e-bikes and disabled-mobility vehicles);
* a business that employs others (a registration without employees is shown, but does not exclude);
* financial assets per person (deposits and securities / household size) above `multiplier × L`, with the line `L`
  of the household's division and the multiplier of the classification policy in force on the check date
  (`bangfu.registry.classification.params.resolve`: parameters as data, never constants here).

Being on the 低保 roster is not an exclusion: it is listed as a finding that calls for re-classification.
The indicators are shown with their numbers so the case worker completes the economic-check step knowing them;
nothing is decided here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from bangfu.funds.money import format_yuan


@dataclass
class Indicator:
    code: str
    fires: bool
    text: str


@dataclass
class Summary:
    results: list = field(default_factory=list)  # latest CheckResult per person
    indicators: list[Indicator] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)  # other facts worth knowing (not exclusions)
    checked_on: object = None
    line_missing: bool = False

    @property
    def firing(self) -> list[Indicator]:
        return [i for i in self.indicators if i.fires]


def latest_results(results) -> list:
    """The newest result of each person (results ordered newest first per person by the caller or here)."""
    latest = {}
    for result in sorted(results, key=lambda r: (r.checked_on, r.pk), reverse=True):
        latest.setdefault(result.item.identity_hash, result)
    return sorted(latest.values(), key=lambda r: r.item.seq)


def _sum(results, name) -> int:
    return sum(getattr(r, name) or 0 for r in results)


def summarise(household, results) -> Summary:
    """The indicators of `household` from its results (CheckResult rows with `item` loaded)."""
    from bangfu.registry.classification.params import resolve

    latest = latest_results(results)
    summary = Summary(results=latest)
    if not latest:
        return summary
    checked_on = max(r.checked_on for r in latest)
    summary.checked_on = checked_on
    homes = _sum(latest, "homes")
    summary.indicators.append(Indicator(
        "homes", homes >= 2,
        _("Residential homes: %(n)s (two or more exclude)") % {"n": homes}))
    non_residential = _sum(latest, "non_residential")
    summary.indicators.append(Indicator(
        "non_residential", non_residential > 0,
        _("Non-residential properties (shop, office, parking space): %(n)s (any excludes)") % {"n": non_residential}))
    vehicles = _sum(latest, "vehicles")
    summary.indicators.append(Indicator(
        "vehicle", vehicles > 0,
        _("Motor vehicles (motorbikes, e-bikes and disabled-mobility vehicles not counted): %(n)s (any excludes)")
        % {"n": vehicles}))
    employers = [r for r in latest if (r.businesses or 0) > 0 and (r.business_employees or 0) > 0]
    businesses = _sum(latest, "businesses")
    employees = _sum(employers, "business_employees")
    summary.indicators.append(Indicator(
        "business", bool(employers),
        _("Business registrations: %(n)s, with %(employees)s employees (a business that employs others "
          "excludes; one without employees does not)") % {"n": businesses, "employees": employees}))
    deposits = _sum(latest, "deposits_fen")
    size = household.household_size or len(latest) or 1
    params = resolve(household.division, checked_on)
    if params.line_fen:
        multiplier = params.financial_assets_multiplier
        limit = int((Decimal(params.line_fen) * multiplier).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
        per_person = deposits // size
        summary.indicators.append(Indicator(
            "assets", deposits > limit * size,
            _("Deposits and securities %(total)s yuan for %(size)s persons = %(per)s yuan per person; limit "
              "%(multiplier)s × line %(line)s = %(limit)s yuan per person (line of %(division)s in force on "
              "%(date)s)") % {
                "total": format_yuan(deposits), "size": size, "per": format_yuan(per_person),
                "multiplier": f"{multiplier.normalize():f}", "line": format_yuan(params.line_fen),
                "limit": format_yuan(limit), "division": params.line_division_name or params.division_code,
                "date": checked_on.isoformat()}))
    else:
        summary.line_missing = True
        summary.indicators.append(Indicator(
            "assets", False,
            _("Deposits and securities %(total)s yuan for %(size)s persons: no minimum-living line is in force for "
              "the household's division on %(date)s, so the limit per person cannot be computed.") % {
                "total": format_yuan(deposits), "size": size, "date": checked_on.isoformat()}))
    on_roster = [r for r in latest if r.on_minimum_living_roster]
    if on_roster:
        summary.findings.append(_("%(n)s person(s) on the minimum-living (低保) roster: re-classify the household.")
                                % {"n": len(on_roster)})
    tax = _sum(latest, "tax_income_fen")
    if tax:
        summary.findings.append(_("Taxable income reported: %(amount)s yuan in total.") % {"amount": format_yuan(tax)})
    bases = [r.social_insurance_base_fen for r in latest if r.social_insurance_base_fen]
    if bases:
        summary.findings.append(_("Social-insurance contribution bases reported for %(n)s person(s), highest "
                                  "%(amount)s yuan a month: compare with the declared incomes.")
                                % {"n": len(bases), "amount": format_yuan(max(bases))})
    return summary


def note_for(summary: Summary, request_numbers: list[str]) -> str:
    """A neutral prefilled note for completing the economic-check step (the case worker edits it).

    The note becomes the timeline row's reason and the stage's opinion, which more people read than the results
    (`econcheck.view_checkresult`): it names the request and the day the results came, never what was found —
    no amounts, homes, vehicles or 低保 status. Those stay on the results page and the archive's panel."""
    from django.utils import timezone

    received = max((r.created_at for r in summary.results if r.created_at), default=None)
    return _("Results of economic-check request %(numbers)s received on %(date)s; see the economic-check "
             "results.") % {"numbers": "、".join(request_numbers),
                            "date": timezone.localtime(received).date().isoformat() if received else ""}
