"""The demo help that goes through the apps' write functions (see `bangfu.worklist.demo`): the showcase union of
the demo logins, and a few households of each other county's case worker."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

from django.core.exceptions import ValidationError

from bangfu.accounts.models import User
from bangfu.helpers.frequencies import DEFAULT_FREQUENCIES
from bangfu.helpers.models import HelperMode
from bangfu.helpers.rules import household_existed_on
from bangfu.helpers.services.assignments import assign_helper, hand_over
from bangfu.helpers.services.visits import record_visit
from bangfu.plans.engine import propose
from bangfu.plans.models import MeasureState, Recommendation
from bangfu.plans.services.measures import measure_set_state
from bangfu.plans.services.recommendations import recommendation_accept, recommendation_reject
from bangfu.registry.models import Member, State
from bangfu.rights.services import close_case, open_case
from bangfu.worklist.demo import END_REASONS, FINDINGS, NEXT_STEPS, SOLVED, _visit_days

# The showcase households by position: who is responsible (and who was before a handover).
PAIRED, ACCOUNTABLE, UNION_MODE = range(0, 12), range(12, 20), range(20, 26)
LEFT_WITHOUT = frozenset({8, 17})  # without a helper even in a small demo (the rest beyond 26 too)
HANDED_OVER = {0: HelperMode.UNION, 1: HelperMode.UNION, 12: HelperMode.PAIRING, 20: HelperMode.ACCOUNTABLE}
# Households of the showcase union the engine runs for: most of the helper's, some of the case worker's and the
# union's (each run and its decisions take a few dozen milliseconds: the demo keeps to a sample).
PLANNED = (*range(0, 6), 12, 13, 20, 21)
COUNTY_PLANNED = 1  # households per other county
# What the case worker does with the n-th proposal of a household; the rest stay pending.
DECISIONS = ("accept", "edit", "reject")
# States the accepted measures end in, in turn (planned ones partly moved into the past: overdue).
MEASURE_STATES = (MeasureState.PLANNED, MeasureState.IN_PROGRESS, MeasureState.PLANNED, MeasureState.DONE,
                  MeasureState.IN_PROGRESS, MeasureState.CANCELLED)
REJECT_REASONS = ["户主已在其他渠道获得同类帮扶。", "家庭暂无此项需求，半年后再评估。"]
RIGHTS = [
    ("consultation", "social_insurance", "咨询断缴社保的补缴办法。", "", None),
    ("legal_aid", "wages", "企业拖欠三个月工资，申请法律援助。", "某建材有限公司", "partly"),
    ("consultation", "labour_contract", "劳动合同到期未续签，咨询经济补偿。", "", "advice_given"),
    ("legal_aid", "working_conditions", "工伤认定争议，需要代理申请。", "某物流公司", None),
]
# PHQ-9 / GAD-7 answers of the counsellor's screenings; only the last (item 9 positive) opens a crisis case.
SCREENINGS = [
    ("phq9", [1, 1, 1, 0, 1, 0, 1, 0, 0]),  # mild
    ("gad7", [2, 1, 2, 1, 2, 1, 1]),  # moderate
    ("phq9", [0, 1, 0, 1, 0, 0, 0, 0, 0]),  # minimal
    ("phq9", [2, 2, 1, 2, 1, 1, 1, 0, 1]),  # item 9 positive: crisis
]


def _user(username: str):
    return User.objects.filter(username=username).select_related("org").first()


def _days_ago(as_of: dt.date, days: int, not_before: dt.date) -> dt.date:
    return max(as_of - dt.timedelta(days=days), not_before)


def seed_showcase(households, rng: random.Random, as_of: dt.date, counts: Counter) -> None:
    caseworker, helper, counsellor = _user("th_caseworker"), _user("th_helper"), _user("th_counsellor")
    if caseworker is None or helper is None or not households:
        return
    union = households[0].org
    current = {}
    for index, household in enumerate(households):
        if index in LEFT_WITHOUT:
            continue
        if index in PAIRED:
            mode, person = HelperMode.PAIRING, helper
        elif index in ACCOUNTABLE:
            mode, person = HelperMode.ACCOUNTABLE, caseworker
        elif index in UNION_MODE:
            mode, person = HelperMode.UNION, None
        else:
            continue  # left without a helper: the case worker's list shows them
        existed = household_existed_on(household)
        start = _days_ago(as_of, rng.randrange(120, 400), existed)
        if index in HANDED_OVER:
            before = HANDED_OVER[index]
            first = assign_helper(household, mode=before, helper=None if before == HelperMode.UNION else (
                caseworker if person is helper else helper), helper_org=union, helper_kind=_kind(before),
                starts_on=start, actor=caseworker)
            on = start + dt.timedelta(days=max((as_of - start).days // 2, 0))
            current[index] = hand_over(first, mode=mode, to_helper=person, to_helper_org=union,
                                       helper_kind=_kind(mode), on=on, reason=rng.choice(END_REASONS),
                                       actor=caseworker)
            counts["handovers"] += 1
        else:
            current[index] = assign_helper(household, mode=mode, helper=person, helper_org=union,
                                           helper_kind=_kind(mode), starts_on=start, actor=caseworker)
        counts["helpers"] += 1
        lagging = index % 3 == 0  # a third of them fell behind with their visits
        interval = DEFAULT_FREQUENCIES[_kind(mode)][1]
        for day in _visit_days(start, interval, as_of, rng, lagging=lagging)[-3:]:
            recorder = helper if current[index].helper_id == helper.pk else caseworker
            record_visit(household, visited_on=day, visitors=f"{current[index].responsible}、社区网格员",
                         findings=rng.choice(FINDINGS), problems_solved=rng.choice(SOLVED),
                         next_step=rng.choice(NEXT_STEPS), actor=recorder)
            counts["visits"] += 1
    owners = {i: (a.helper if a.helper_id else caseworker) for i, a in current.items()}
    for index in PLANNED:
        if index < len(households):
            _plan(households[index], caseworker, owners.get(index, caseworker), rng, as_of, counts,
                  overdue=index % 4 == 1)
    for (kind, topic, summary, counterpart, outcome), household in zip(RIGHTS, households[2::5], strict=False):
        _rights_case(household, caseworker, kind, topic, summary, counterpart, outcome, as_of, counts)
    if counsellor is not None:
        _care(households, counsellor, current, helper, as_of, counts)


def _kind(mode: str) -> str:
    from bangfu.worklist.demo import KIND_OF_MODE

    return KIND_OF_MODE[mode]


def _plan(household, caseworker, owner, rng, as_of, counts, *, overdue: bool) -> None:
    """The engine's proposals for the household, decided in turn: accepted, accepted with changes, rejected;
    the rest wait. The accepted measures move through their states."""
    proposals = propose(household, caseworker)
    counts["proposals"] += len(proposals)
    measures = []
    for number, recommendation in enumerate(proposals):
        decision = DECISIONS[number] if number < len(DECISIONS) else "wait"
        if decision == "accept":
            done = recommendation_accept(recommendation, caseworker, owner=owner)
        elif decision == "edit":
            done = recommendation_accept(recommendation, caseworker, owner=owner,
                                         due_on=as_of + dt.timedelta(days=rng.randrange(1, 7)))
        elif decision == "reject":
            recommendation_reject(recommendation, caseworker, reason=rng.choice(REJECT_REASONS))
            counts["rejected"] += 1
            continue
        else:
            continue
        measures.append(Recommendation.objects.select_related("measure").get(pk=done.pk).measure)
        counts["measures"] += 1
    for measure in measures:
        state = MEASURE_STATES[counts["measure_states"] % len(MEASURE_STATES)]
        counts["measure_states"] += 1
        if state == MeasureState.DONE:
            measure_set_state(measure, caseworker, state=MeasureState.IN_PROGRESS)
            measure_set_state(measure, caseworker, state=state, outcome="已落实，家庭反馈良好。")
        elif state == MeasureState.CANCELLED:
            measure_set_state(measure, caseworker, state=state, outcome="家庭情况变化，不再需要。")
        elif state == MeasureState.IN_PROGRESS:
            measure_set_state(measure, caseworker, state=state)
        if overdue and state in (MeasureState.PLANNED, MeasureState.IN_PROGRESS):
            # A rule of plans keeps new due dates in the future: the demo moves this one into the past.
            type(measure).objects.filter(pk=measure.pk).update(due_on=as_of - dt.timedelta(days=rng.randrange(2, 20)))
            counts["overdue measures"] += 1


def _rights_case(household, caseworker, kind, topic, summary, counterpart, outcome, as_of, counts) -> None:
    opened = _days_ago(as_of, 40, household_existed_on(household))
    case = open_case(caseworker, household, kind=kind, topic=topic, summary=summary, opened_on=opened,
                     handled_by=caseworker, counterpart=counterpart)
    counts["rights cases"] += 1
    if outcome:
        close_case(caseworker, case, outcome=outcome, closed_on=min(opened + dt.timedelta(days=21), as_of),
                   outcome_note="已告知职工处理结果。")


def _care(households, counsellor, current, helper, as_of, counts) -> None:
    """Screenings by the county's counsellor; the last one opens the demo's one crisis case, on a household of
    `th_helper` (who is told that an urgent contact is due)."""
    from bangfu.care.services.records import open_care_plan, record_session
    from bangfu.care.services.screenings import record_screening

    helped = [i for i, a in current.items() if a.helper_id == helper.pk]
    if not helped:
        return
    crisis_home = households[helped[-1]]
    others = [households[i] for i in (3, 13, 21) if i < len(households) and i != helped[-1]]
    pairs = [*zip(SCREENINGS[:-1], others, strict=False), (SCREENINGS[-1], crisis_home)]
    for (instrument, answers), household in pairs:
        head = Member.objects.filter(household=household, is_head=True).first()
        if head is None:
            continue
        record_screening(household, head, instrument, answers, as_of, counsellor)
        counts["screenings"] += 1
    open_care_plan(crisis_home, counsellor, opened_on=as_of, goals="每周一次个别辅导，联系家属共同关注。")
    record_session(crisis_home, counsellor, kind="interview", held_on=as_of,
                   member=Member.objects.filter(household=crisis_home, is_head=True).first(),
                   notes="初次面谈，建立联系。", next_step="24小时内电话回访。")


def seed_county_plans(households, rng: random.Random, as_of: dt.date, counts: Counter, *, skip: str) -> None:
    """In each other county's first enterprise union, where its demo case worker works: the engine on a few
    households with its proposals decided, and one rights case."""
    caseworkers = {u.org.code: u for u in User.objects.filter(kind="staff", roles__role="case_worker")
                   .select_related("org").order_by("username")}
    by_union: dict[str, list] = {}
    for household in households:
        if household.state == State.ACTIVE and household.org.code in caseworkers and household.org.code != skip:
            by_union.setdefault(household.org.code, []).append(household)
    for code in sorted(by_union):
        caseworker = caseworkers[code]
        for index, household in enumerate(by_union[code][:COUNTY_PLANNED]):
            try:
                _plan(household, caseworker, caseworker, rng, as_of, counts, overdue=index == 0)
            except ValidationError:  # a household the rules refuse is simply left without a plan
                counts["plans refused"] += 1
        kind, topic, summary, counterpart, outcome = RIGHTS[len(code) % len(RIGHTS)]
        _rights_case(by_union[code][-1], caseworker, kind, topic, summary, counterpart, outcome, as_of, counts)
