"""Exit suggestions from real incomes and a real line; relapse watches and each trigger from real data."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from bangfu.accounts.roles import Role
from bangfu.monitoring.models import ExitSuggestion, RelapseTrigger, RelapseWatch, SuggestionState, WatchState
from bangfu.monitoring.services.exits import suggest_exits
from bangfu.monitoring.services.relapse import watch_relapse
from bangfu.monitoring.tests.factories import living_line
from bangfu.registry.models import Closure, ExitReason, MonthlyIncome, State
from bangfu.registry.services.lifecycle import household_exit
from bangfu.registry.signals import relapse_evidence
from bangfu.registry.tests.factories import make_household

pytestmark = pytest.mark.django_db
ON = dt.date(2026, 11, 15)  # last complete month: October 2026


@pytest.fixture
def line(tree):
    return living_line()


def test_exit_suggested_after_exactly_six_months_above_the_line_not_five(tree, line):
    six = make_household(tree.grassroots, monthly_wage=Decimal("1100.01"), months=6)
    five = make_household(tree.grassroots, monthly_wage=Decimal("1500"), months=5)
    at_line = make_household(tree.grassroots, monthly_wage=Decimal("1100"), months=12)  # equal is not above
    two = make_household(tree.grassroots, size=2, monthly_wage=Decimal("2000"), months=12)  # 1000 per head
    assert suggest_exits(ON) == {"suggestions": 1}
    suggestion = ExitSuggestion.objects.get()
    assert suggestion.household == six and suggestion.last_month == dt.date(2026, 10, 1)
    months = suggestion.evidence["months"]
    assert [m["month"] for m in months] == ["2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10"]
    assert all(m["pci_fen"] == 110001 and m["line_fen"] == 110000 for m in months)
    assert not ExitSuggestion.objects.filter(household__in=[five, at_line, two]).exists()
    assert suggest_exits(ON) == {"suggestions": 0}  # idempotent


def test_a_line_above_the_income_stops_the_suggestion(tree):
    living_line(amount=Decimal("2000"))
    make_household(tree.grassroots, monthly_wage=Decimal("1500"), months=12)
    assert suggest_exits(ON) == {"suggestions": 0}


def test_accepting_exits_with_the_right_reason_and_starts_a_watch(tree, line, grassroots_cadre, signed_in):
    household = make_household(tree.grassroots, monthly_wage=Decimal("3000"), months=12)
    suggest_exits(ON)
    suggestion = ExitSuggestion.objects.get()
    client = signed_in(grassroots_cadre)
    page = client.get(f"/monitoring/exit-suggestions/{suggestion.pk}/")
    assert page.status_code == 200 and "3,000.00" in page.content.decode()
    response = client.post(f"/monitoring/exit-suggestions/{suggestion.pk}/accept/", {"on": "2026-11-20",
                                                                                      "note": "稳定就业"})
    assert response.status_code == 302
    household.refresh_from_db()
    suggestion.refresh_from_db()
    assert household.state == State.EXITED and household.exit_reason == ExitReason.OUT_OF_HARDSHIP
    assert suggestion.state == SuggestionState.ACCEPTED
    closure = Closure.objects.get(household=household, kind="exit")
    watch = RelapseWatch.objects.get(household=household)
    assert watch.closure == closure and watch.monitor_until == closure.monitor_until == dt.date(2027, 11, 20)
    assert household.timeline.filter(kind="monitoring_exit_accepted").exists()


def test_dismissing_needs_a_reason_and_is_not_suggested_again_for_the_same_months(tree, line, grassroots_cadre,
                                                                                   signed_in):
    make_household(tree.grassroots, monthly_wage=Decimal("3000"), months=12)
    suggest_exits(ON)
    suggestion = ExitSuggestion.objects.get()
    client = signed_in(grassroots_cadre)
    bad = client.post(f"/monitoring/exit-suggestions/{suggestion.pk}/dismiss/", {"reason": " "})
    assert bad.status_code == 200 and "error-reason" in bad.content.decode()
    assert client.post(f"/monitoring/exit-suggestions/{suggestion.pk}/dismiss/",
                       {"reason": "收入不稳定"}).status_code == 302
    assert suggest_exits(ON) == {"suggestions": 0}
    assert suggest_exits(dt.date(2026, 12, 2)) == {"suggestions": 0}  # November has no income recorded


# --- relapse ------------------------------------------------------------------------------------------------


def _exited(tree, actor, *, on=dt.date(2026, 6, 10), **fields):
    household = make_household(tree.grassroots, monthly_wage=Decimal("3000"), months=12, **fields)
    household_exit(household, actor=actor, reason=ExitReason.OUT_OF_HARDSHIP, on=on)
    return household


def _income(household, month, amount):
    head = household.members.get(is_head=True)
    MonthlyIncome.objects.update_or_create(household=household, member=head, month=month, income_type="wage",
                                           defaults={"amount": Decimal(amount)})


def test_income_drop_triggers_once_within_the_window(tree, grassroots_cadre):
    household = _exited(tree, grassroots_cadre)
    assert watch_relapse(ON)["triggers"] == 0
    _income(household, dt.date(2026, 10, 1), "1000")  # 3000 → 1000: a 67 % fall
    result = watch_relapse(ON)
    assert result["triggers"] == 1
    trigger = RelapseTrigger.objects.get()
    assert trigger.kind == "income_drop" and trigger.evidence["month"] == "2026-10"
    assert trigger.evidence["income_fen"] == 100000 and trigger.evidence["previous_month_fen"] == 300000
    assert RelapseWatch.objects.get().state == WatchState.REVIEW_NEEDED
    assert household.timeline.filter(kind="monitoring_relapse_trigger").count() == 1
    assert watch_relapse(ON)["triggers"] == 0  # once per evidence


def test_small_income_fall_does_not_trigger(tree, grassroots_cadre):
    household = _exited(tree, grassroots_cadre)
    _income(household, dt.date(2026, 10, 1), "2200")  # 27 % below: under the 30 % threshold
    assert watch_relapse(ON)["triggers"] == 0


def test_serious_illness_and_job_loss_trigger_from_member_data(tree, grassroots_cadre):
    household = _exited(tree, grassroots_cadre)
    head = household.members.get(is_head=True)
    watch_relapse(ON)  # baseline recorded at the exit: employed, healthy
    head.health, head.work_status = "cancer", "laid_off"
    head.save(update_fields=["health", "work_status"])
    assert watch_relapse(ON)["triggers"] == 2
    assert set(RelapseTrigger.objects.values_list("kind", flat=True)) == {"serious_illness", "job_loss"}
    assert watch_relapse(ON)["triggers"] == 0


def test_already_ill_at_exit_is_no_trigger(tree, grassroots_cadre):
    household = make_household(tree.grassroots, monthly_wage=Decimal("3000"), months=12)
    household.members.filter(is_head=True).update(health="cancer")
    household_exit(household, actor=grassroots_cadre, reason=ExitReason.OUT_OF_HARDSHIP, on=dt.date(2026, 6, 10))
    assert watch_relapse(ON)["triggers"] == 0


def test_no_trigger_after_the_window_and_the_watch_ends(tree, grassroots_cadre):
    household = _exited(tree, grassroots_cadre, on=dt.date(2025, 12, 1))  # watched until 2026-12-01
    household.members.filter(is_head=True).update(work_status="unemployed")
    result = watch_relapse(dt.date(2026, 12, 2))
    assert result["triggers"] == 0 and result["watches_ended"] == 1
    assert RelapseWatch.objects.get().state == WatchState.ENDED


def test_backfill_creates_missing_watches_once(tree, grassroots_cadre):
    household = _exited(tree, grassroots_cadre)
    RelapseWatch.objects.all().delete()
    assert watch_relapse(ON)["watches_started"] == 1
    assert watch_relapse(ON)["watches_started"] == 0
    assert RelapseWatch.objects.get().household == household


def test_relapse_evidence_signal_triggers_once_and_only_in_the_window(tree, grassroots_cadre):
    household = _exited(tree, grassroots_cadre)
    never_exited = make_household(tree.grassroots)
    evidence = {"key": "roster-2026-11:row-17", "source_row": 17}
    relapse_evidence.send(sender=None, household=household, kind="dibao_enrolment", evidence=evidence,
                          source="crosscheck finding 5", actor=None)
    relapse_evidence.send(sender=None, household=household, kind="dibao_enrolment", evidence=evidence,
                          source="crosscheck finding 5", actor=None)
    relapse_evidence.send(sender=None, household=never_exited, kind="dibao_enrolment", evidence={"key": "x"},
                          source="crosscheck", actor=None)
    trigger = RelapseTrigger.objects.get()
    assert trigger.kind == "dibao_enrolment" and trigger.watch.household == household
    assert RelapseWatch.objects.get().state == WatchState.REVIEW_NEEDED


def test_resolving_with_reentry_opens_a_linked_archive(tree, grassroots_cadre, signed_in):
    household = _exited(tree, grassroots_cadre)
    relapse_evidence.send(sender=None, household=household, kind="dibao_enrolment", evidence={"key": "k"},
                          source="crosscheck", actor=None)
    watch = RelapseWatch.objects.get()
    client = signed_in(grassroots_cadre)
    bad = client.post(f"/monitoring/relapse/{watch.pk}/resolve/", {"outcome": "reenter", "note": ""})
    assert bad.status_code == 200 and "error-note" in bad.content.decode()
    response = client.post(f"/monitoring/relapse/{watch.pk}/resolve/", {"outcome": "reenter", "note": "重新低保"})
    watch.refresh_from_db()
    assert watch.state == WatchState.REENTERED and watch.new_archive.previous_archive == household
    assert response.status_code == 302 and response["Location"].endswith(f"/{watch.new_archive_id}/")


def test_resolving_no_relapse_keeps_watching(tree, grassroots_cadre):
    from bangfu.monitoring.services.relapse import watch_resolve

    household = _exited(tree, grassroots_cadre)
    relapse_evidence.send(sender=None, household=household, kind="income_drop", evidence={"key": "k"},
                          source="crosscheck", actor=None)
    watch = watch_resolve(grassroots_cadre, RelapseWatch.objects.get(), outcome="no_relapse", note="临时")
    assert watch.state == WatchState.WATCHING
    assert RelapseTrigger.objects.get().reviewed_on is not None


def test_outsider_sees_no_suggestion_or_watch(tree, line, outsider, grassroots_cadre, signed_in):
    household = _exited(tree, grassroots_cadre)
    watch = RelapseWatch.objects.get(household=household)
    client = signed_in(outsider)
    assert client.get(f"/monitoring/relapse/{watch.pk}/").status_code == 404
    assert client.post(f"/monitoring/relapse/{watch.pk}/resolve/", {"outcome": "no_relapse",
                                                                   "note": "x"}).status_code == 404
    assert household.archive_number not in client.get("/monitoring/relapse/").content.decode()
    leader = tree.user("gr_leader", tree.grassroots, Role.LEADERSHIP)
    assert signed_in(leader).post(f"/monitoring/relapse/{watch.pk}/resolve/", {}).status_code == 404


def test_exit_on_the_archive_page_closes_the_open_suggestion(tree, line, grassroots_cadre, signed_in):
    household = make_household(tree.grassroots, monthly_wage=Decimal("3000"), months=12)
    suggest_exits(ON)
    suggestion = ExitSuggestion.objects.get()
    household_exit(household, actor=grassroots_cadre, reason=ExitReason.OUT_OF_HARDSHIP, on=dt.date(2026, 11, 20))
    suggestion.refresh_from_db()
    assert suggestion.state == SuggestionState.DISMISSED and suggestion.decided_by == grassroots_cadre
    assert suggestion.decision_note
    page = signed_in(grassroots_cadre).get(f"/households/{household.pk}/").content.decode()
    assert 'data-testid="panel-suggestion"' not in page
