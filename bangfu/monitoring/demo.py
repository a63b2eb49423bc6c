"""Demo dynamic management for `manage.py seed_demo` (issue 6): called by `bangfu.orgs.demo.seed_demo` after the
households, the money and the help, inside its transaction and bulk job.

Everything goes through the app's and the registry's write functions, so each check, timeline row and notice
is the platform's own:

* this year's review cycles for every union holding active archives (`create_review_cycles`, one INSERT …
  SELECT), then in the showcase union (`th_caseworker`'s) a few reviews done through `review_do`, one recorded on
  the archive itself (`household_review`: the cycle's review follows through the `household_reviewed` signal),
  and a spot-check draw by the county's reviewer (`th_reviewer`) with one outcome confirmed;
* an exit suggestion: one household's recent incomes set well above the line (`incomes_set`), then the daily
  `suggest_exits`;
* a relapse watch with triggers: one household exits (`household_exit`, which starts the watch), its last month's
  income falls (`incomes_set`, recorded before the exit: a closed archive takes no edits), the daily
  `watch_relapse` records the drop, and a new 低保 enrolment and a serious illness arrive through the
  `relapse_evidence` signal as the cross-check app sends them.

The same seed and date give the same data.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from decimal import Decimal

from django.utils import timezone

SHOWCASE_UNION = "GD-GZ-TH-E01"


def _months_back(on: dt.date, count: int) -> list[dt.date]:
    from bangfu.core.months import month_starts

    return month_starts(on.replace(day=1) - dt.timedelta(days=1), count)  # complete months, oldest first


def _set_income(household, actor, months, amounts) -> None:
    from bangfu.registry.services.archive import incomes_set

    head = household.members.get(is_head=True)
    others = [m for m in household.members.all() if not m.is_head]
    rows = [{"member": head, "month": month, "income_type": "wage", "amount": amount}
            for month, amount in zip(months, amounts, strict=True)]
    # the other members' incomes are cleared for these months, so the head's wage is the household's income
    types = ("wage", "pension", "business", "other")
    rows += [{"member": m, "month": month, "income_type": t, "amount": ""} for m in others for month in months
             for t in types if m.incomes.filter(month=month, income_type=t).exists()]
    incomes_set(household, rows, actor=actor)


def seed_monitoring(seed: int = 1, *, as_of: dt.date | None = None) -> Counter:
    """Load the demo dynamic management (see the module docstring); returns what was made, by kind."""
    from bangfu.accounts.models import User
    from bangfu.monitoring.models import Review, ReviewCycle
    from bangfu.monitoring.services.exits import suggest_exits
    from bangfu.monitoring.services.relapse import watch_relapse
    from bangfu.monitoring.services.reviews import create_review_cycles, review_do
    from bangfu.monitoring.services.spotcheck import spot_check_draw, spot_check_record
    from bangfu.orgs.models import Org
    from bangfu.registry.models import ExitReason, Household, State
    from bangfu.registry.services.lifecycle import household_exit, household_review
    from bangfu.registry.signals import relapse_evidence

    made: Counter = Counter()
    on = as_of or timezone.localdate()
    rng = random.Random(seed)
    union = Org.objects.filter(code=SHOWCASE_UNION).first()
    worker = User.objects.filter(username="th_caseworker").first()
    reviewer = User.objects.filter(username="th_reviewer").first()
    if union is None or worker is None or reviewer is None:
        return made
    households = list(Household.objects.filter(org=union, state=State.ACTIVE, activated_on__lt=on.replace(day=1))
                      .order_by("id"))
    if len(households) < 8:
        return made
    rng.shuffle(households)
    rich, relapsing, on_archive, *others = households

    # An exit suggestion: seven complete months well above any line.
    months = _months_back(on, 7)
    _set_income(rich, worker, months, [Decimal("9000")] * 7)
    made["exit_suggestions"] = suggest_exits(on)["suggestions"]

    # A relapse watch: the household exited four months ago (a closed archive takes no more edits, so its incomes
    # are recorded first; the last month's fall comes after the exit), then the daily task sees the income drop,
    # and the cross-check reports a new 低保 enrolment and a serious illness from the medical-insurance data.
    exited_on = max(relapsing.activated_on, on - dt.timedelta(days=120))
    _set_income(relapsing, worker, months, [Decimal("6000")] * 6 + [Decimal("1200")])
    household_exit(relapsing, actor=worker, reason=ExitReason.OUT_OF_HARDSHIP, note="稳定就业，收入超过标准",
                   on=exited_on)
    made.update(watch_relapse(on))
    head = relapsing.members.get(is_head=True)
    relapse_evidence.send(sender=None, household=relapsing, kind="dibao_enrolment", source="demo cross-check",
                          evidence={"key": f"demo-dibao-{relapsing.pk}", "roster_month": f"{months[-1]:%Y-%m}"},
                          actor=None)
    relapse_evidence.send(sender=None, household=relapsing, kind="serious_illness", source="demo cross-check",
                          evidence={"key": f"demo-ill-{relapsing.pk}", "member_masked": head.name_masked,
                                    "health": "cancer"}, actor=None)

    # This year's review cycles; reviews done on the monitoring page and on the archive page; a spot check.
    made.update(create_review_cycles(on.year, actor=reviewer))
    reviews = list(Review.objects.open().filter(household__in=others).select_related("household")
                   .order_by("household_id")[:5])
    for i, review in enumerate(reviews):
        day = max(on - dt.timedelta(days=10 + 7 * i), review.household.activated_on, dt.date(on.year, 1, 1))
        review_do(worker, review, reviewed_on=day, note="入户复核：家庭情况与档案一致，继续帮扶。")
        made["reviews_done"] += 1
    household_review(on_archive, actor=worker, reviewed_on=max(on - dt.timedelta(days=3), on_archive.activated_on),
                     note="档案页复核：收入仍低于标准。")
    made["reviews_on_archive"] += 1
    cycle = ReviewCycle.objects.filter(org=union, year=on.year).first()
    if cycle is not None:
        draw = spot_check_draw(reviewer, cycle, seed=seed)
        made["spot_checked"] = len(draw.sample)
        first = Review.objects.get(pk=draw.sample[0])
        spot_check_record(reviewer, first, outcome="confirmed", note="抽查入户，情况属实。")
    return made
