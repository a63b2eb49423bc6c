"""Campaigns: festive aid (两节送温暖) and the autumn school-aid drive (金秋助学).

A campaign selects households (for school aid: their students) with one set-based query, proposes an
amount for each by its rule and checks each proposal against every payment rule (`rules.check_payment`),
then creates the chosen payments through `services.payments.create_payment` — the same rules, caps and
approval chain as a single payment. Approving and paying reuse `approve_many` and `create_batch`.

Criteria (JSON on `Campaign.criteria`):
    {"levels": ["deep", ...], "categories": ["B_deep", ...], "causes": ["6", ...], "cause_scope": "main"|"any",
     "school_stages": ["primary", ...], "exclude_paid": true}
Amount rule (JSON on `Campaign.amount_rule`, whole fen):
    festive: {"per_level": {"deep": 100000, ...}}   school: {"per_stage": {"primary": 100000, ...}}
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, Exists, Max, OuterRef, Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu import audit
from bangfu.funds.models import COMMITTED_STATES, Campaign, Disbursement, DisbursementState, FundPolicy
from bangfu.funds.money import format_yuan
from bangfu.funds.rules import RuleBreach, check_payment
from bangfu.funds.services import FundsRefused
from bangfu.funds.services.batches import create_batch, payable
from bangfu.funds.services.payments import approve_many, create_payment
from bangfu.registry.models import Category, CodeItem, CommonLevel, Household, HouseholdCause, Member, State
from bangfu.registry.models.codes import code_label

Kind = Campaign.Kind
LEVELS = (CommonLevel.DEEP.value, CommonLevel.RELATIVE.value, CommonLevel.ACCIDENT.value)
CATEGORIES = tuple(c for c in Category.values if c != Category.NOT_ELIGIBLE)
CAUSE_SCOPES = ("main", "any")
# No single assistance payment comes near a million yuan: anything above is a typing error.
MAX_AMOUNT_FEN = 1_000_000_00

# Illustrative starting amounts shown on the form (every union sets its own; DOMAIN.md gives none).
DEFAULT_AMOUNTS = {
    Kind.FESTIVE: {"deep": 1000_00, "relative": 800_00, "accident": 600_00},
    Kind.SCHOOL: {"primary": 1000_00, "junior": 1500_00, "senior": 2000_00, "vocational": 2000_00,
                  "college": 5000_00, "undergraduate": 5000_00, "graduate": 5000_00},
}
RULE_KEY = {Kind.FESTIVE: "per_level", Kind.SCHOOL: "per_stage"}


def _refuse(code: str, message: str, field_name: str = ""):
    raise FundsRefused([RuleBreach(code, message, field_name)])


# --- criteria and amount rule ---------------------------------------------------------------------------


def _codes(code_list: str) -> set[str]:
    return set(CodeItem.objects.active().of(code_list).values_list("code", flat=True))


def clean_campaign(*, kind: str, source, name: str, year, period: str, criteria: dict, amount_rule: dict
                   ) -> tuple[dict, dict]:
    """Check a campaign's settings; return (criteria, amount rule) normalised, or raise `FundsRefused`
    listing every problem with the name of its form field (`amount_<code>` for an amount)."""
    breaches: list[RuleBreach] = []

    def refuse(code, message, field_name=""):
        breaches.append(RuleBreach(code, message, field_name))

    if kind not in Kind.values:
        refuse("kind", _("Choose festive aid or school aid."), "kind")
        raise FundsRefused(breaches)
    if not (name or "").strip():
        refuse("name", _("Give the campaign a name."), "name")
    if not (period or "").strip():
        refuse("period", _("Give the period the payments cover, e.g. 2027春节 or 2026秋季."), "period")
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        refuse("year", _("Give the budget year, e.g. %(year)s.") % {"year": timezone.localdate().year}, "year")
    category = Campaign.CATEGORY[kind]
    if source is not None and not source.may_pay(category):
        refuse("source_category", _("%(source)s may not pay %(category)s; it may pay: %(allowed)s.") % {
            "source": source.name, "category": Campaign.Kind(kind).label,
            "allowed": "、".join(source.allowed_category_labels) or "—"}, "source")

    criteria = criteria if isinstance(criteria, dict) else {}
    levels = _list(criteria.get("levels"))
    unknown = [x for x in levels if x not in LEVELS]
    if unknown:
        refuse("levels", _("Unknown common levels: %(codes)s.") % {"codes": ", ".join(unknown)}, "levels")
    categories = _list(criteria.get("categories"))
    unknown = [x for x in categories if x not in CATEGORIES]
    if unknown:
        refuse("categories", _("Unknown categories: %(codes)s.") % {"codes": ", ".join(unknown)}, "categories")
    causes = _list(criteria.get("causes"))
    unknown = sorted(set(causes) - _codes("cause")) if causes else []
    if unknown:
        refuse("causes", _("Unknown causes: %(codes)s.") % {"codes": ", ".join(unknown)}, "causes")
    cause_scope = criteria.get("cause_scope") or "main"
    if cause_scope not in CAUSE_SCOPES:
        refuse("cause_scope", _("Choose main cause or any cause."), "cause_scope")
    stages = _list(criteria.get("school_stages")) if kind == Kind.SCHOOL else []
    unknown_stages = sorted(set(stages) - _codes("school_stage")) if stages else []
    if unknown_stages:
        refuse("school_stages", _("Unknown school stages: %(codes)s.") % {"codes": ", ".join(unknown_stages)},
               "school_stages")

    # What is paid to whom: festive per common level (the levels chosen), school per stage (the stages chosen).
    if kind == Kind.FESTIVE:
        paid_for = [x for x in levels if x in LEVELS]
    else:
        paid_for = [x for x in stages if x not in unknown_stages]
    if not paid_for:
        refuse("nothing_chosen", _("Tick at least one common level and give its amount.") if kind == Kind.FESTIVE
               else _("Tick at least one school stage and give its amount per student."),
               "levels" if kind == Kind.FESTIVE else "school_stages")
    given = (amount_rule or {}).get(RULE_KEY[kind]) if isinstance(amount_rule, dict) else None
    given = given if isinstance(given, dict) else {}
    amounts = {}
    for code in paid_for:
        label = CommonLevel(code).label if kind == Kind.FESTIVE else code_label("school_stage", code)
        value = given.get(code)
        problem = _amount_problem(value, label)
        if problem:
            refuse("amount", problem, f"amount_{code}")
        else:
            amounts[code] = value
    if breaches:
        raise FundsRefused(breaches)
    clean = {"levels": levels, "categories": categories, "causes": causes, "cause_scope": cause_scope,
             "exclude_paid": bool(criteria.get("exclude_paid"))}
    if kind == Kind.SCHOOL:
        clean["school_stages"] = stages
    return clean, {RULE_KEY[kind]: amounts}


def _list(value) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        return [str(value)]
    return list(dict.fromkeys(str(x) for x in value))  # unique, in order


def _amount_problem(value, label) -> str:
    if value is None or value == "":
        return _("Give the amount for %(what)s (or untick it).") % {"what": label}
    if not isinstance(value, int) or isinstance(value, bool):
        return _("The amount for %(what)s must be a number of yuan.") % {"what": label}
    if value <= 0:
        return _("The amount for %(what)s must be more than zero.") % {"what": label}
    if value > MAX_AMOUNT_FEN:
        return _("The amount for %(what)s is more than %(max)s yuan; check it.") % {
            "what": label, "max": format_yuan(MAX_AMOUNT_FEN)}
    return ""


def save_campaign(*, campaign: Campaign | None = None, actor, org, kind: str, name: str, year: int, period: str,
                  source, criteria: dict, amount_rule: dict) -> Campaign:
    """Create a campaign, or change one that has no payments yet (its proposal is then dropped)."""
    criteria, amount_rule = clean_campaign(kind=kind, source=source, name=name, year=year, period=period,
                                           criteria=criteria, amount_rule=amount_rule)
    with transaction.atomic():
        if campaign is None:
            campaign = Campaign(created_by=actor)
        else:
            campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
            if not is_editable(campaign):
                _refuse("not_editable", _("This campaign already has payments; its settings can no longer change."))
        campaign.org, campaign.kind, campaign.name, campaign.year = org, kind, name.strip()[:100], year
        campaign.period, campaign.source = period.strip()[:16], source
        campaign.criteria, campaign.amount_rule = criteria, amount_rule
        campaign.proposal, campaign.state = [], Campaign.State.DRAFT
        campaign.save()
    return campaign


def is_editable(campaign: Campaign) -> bool:
    return campaign.state != Campaign.State.CLOSED and not campaign.disbursements.exists()


def amounts_of(campaign: Campaign) -> dict[str, int]:
    """{level or stage code: fen} of the campaign's amount rule (empty when it has none yet)."""
    rule = (campaign.amount_rule or {}).get(RULE_KEY.get(campaign.kind, ""), {})
    return {k: v for k, v in rule.items() if isinstance(v, int) and v > 0} if isinstance(rule, dict) else {}


# --- selection and proposal -------------------------------------------------------------------------------


def _committed_in_category(campaign: Campaign, **outer):
    return Disbursement.objects.filter(category=campaign.category, year=campaign.year, state__in=COMMITTED_STATES,
                                       **outer)


def select_households(campaign: Campaign):
    """The campaign's candidates as ONE queryset: households (festive) or their students (school).

    Active archives of the paying union's subtree, filtered in SQL by level, category and causes (EXISTS
    subqueries); a festive campaign takes only the levels it pays, a school campaign only students at the
    stages it pays. With `exclude_paid`, households (school: students) with a committed payment of the
    campaign's category in its year are left out.
    """
    c = campaign.criteria or {}
    amounts = amounts_of(campaign)
    households = Household.objects.filter(state=State.ACTIVE, org__path__startswith=campaign.org.path)
    levels = [x for x in c.get("levels", []) if x in LEVELS]
    if campaign.kind == Kind.FESTIVE:
        levels = [x for x in levels if x in amounts]
        households = households.filter(common_level__in=levels)
    elif levels:
        households = households.filter(common_level__in=levels)
    if c.get("categories"):
        households = households.filter(category__in=c["categories"])
    if c.get("causes"):
        causes = HouseholdCause.objects.filter(household=OuterRef("pk"), code__in=c["causes"])
        if c.get("cause_scope", "main") == "main":
            causes = causes.filter(is_main=True)
        households = households.filter(Exists(causes))
    if campaign.kind == Kind.FESTIVE:
        if c.get("exclude_paid"):
            households = households.exclude(Exists(_committed_in_category(campaign, household=OuterRef("pk"))))
        return households.order_by("archive_number")
    stages = [x for x in c.get("school_stages", []) if x in amounts]
    students = Member.objects.filter(is_student=True, school_stage__in=stages,
                                     household__in=households.values("pk"))
    if c.get("exclude_paid"):
        students = students.exclude(Exists(_committed_in_category(campaign, student=OuterRef("pk"))))
    return students.order_by("household__archive_number", "id")


def payment_item(campaign: Campaign, household, student=None) -> str:
    """What a campaign payment pays: the campaign's name (school: and the student's masked name).

    Two members of one household can share a masked name (张* for 张明 and 张亮); the student's number is
    then added so that the "same item and period" rule does not take them for one payment.
    """
    if student is None:
        return campaign.name[:100]
    masked = student.name_masked
    item = f"{campaign.name[:70]} {masked}"
    if any(m.pk != student.pk and m.name_masked == masked for m in household.members.all()):
        item += f" #{student.pk}"
    return item


def _candidates(campaign: Campaign):
    """(household, student or None, basis code) for each candidate, members prefetched (heads, siblings)."""
    members = Prefetch("members", queryset=Member.objects.order_by("-is_head", "id"))
    selected = select_households(campaign)
    if campaign.kind == Kind.FESTIVE:
        for household in selected.select_related("org", "division").prefetch_related(members):
            yield household, None, household.common_level
    else:
        for student in selected.select_related("household__org", "household__division").prefetch_related(
                Prefetch("household__members", queryset=Member.objects.order_by("-is_head", "id"))):
            yield student.household, student, student.school_stage


def _unsaved_payment(campaign, household, student, amount_fen, actor) -> Disbursement:
    return Disbursement(
        org=campaign.org, household=household, source=campaign.source, category=campaign.category,
        amount_fen=amount_fen, item=payment_item(campaign, household, student), period=campaign.period,
        year=campaign.year, student=student, campaign=campaign, created_by=actor,
    )


def _row_key(household_id, student_id) -> str:
    return f"{household_id}-{student_id or 0}"


def propose(campaign: Campaign, actor) -> Campaign:
    """Select the candidates, compute their amounts and check each against every payment rule.

    Stores the list in `campaign.proposal` (masked names only) and moves the campaign to `proposed`.
    `check_payment` runs once per candidate (a few small queries each), which is fine for thousands.
    """
    with transaction.atomic():
        campaign = (Campaign.objects.select_for_update(of=("self",)).select_related("org", "source")
                    .get(pk=campaign.pk))
        if campaign.state == Campaign.State.CLOSED:
            _refuse("closed", _("This campaign is closed."))
        if campaign.disbursements.exists():
            # A new proposal would forget which rows already have payments (and offer them again).
            _refuse("has_payments", _("Payments of this campaign already exist; start a new campaign for "
                                      "households found later."))
        amounts = amounts_of(campaign)
        if not amounts:
            _refuse("no_amounts", _("The campaign has no amounts yet: edit it and give them."))
        policy = FundPolicy.in_force(campaign.org, timezone.localdate())
        rows = []
        for household, student, basis in _candidates(campaign):
            payment = _unsaved_payment(campaign, household, student, amounts.get(basis, 0), actor)
            breaches = check_payment(payment, policy=policy)
            head = household.head
            rows.append({
                "household_id": household.pk, "archive_number": household.archive_number,
                "head_masked": head.name_masked if head else household.head_name_masked,
                "student_id": student.pk if student else None,
                "student_masked": student.name_masked if student else "",
                "basis": basis, "amount_fen": payment.amount_fen,
                "breaches": [{"code": b.code, "message": b.message} for b in breaches],
            })
        campaign.proposal = rows
        campaign.state = Campaign.State.PROPOSED
        campaign.save(update_fields=["proposal", "state"])
        audit.log_access(None, "fund_campaign_propose", obj=campaign, user=actor, rows=len(rows),
                         with_breaches=sum(1 for r in rows if r["breaches"]))
    return campaign


# --- payments, approvals, the bank batch -----------------------------------------------------------------


@dataclass
class Outcome:
    """What a campaign action did: the payments it created or decided, and each row refused with its rules."""

    done: list = field(default_factory=list)
    refused: list = field(default_factory=list)  # (label, [RuleBreach, ...])


def create_payments(campaign: Campaign, actor, rows: list[dict]) -> Outcome:
    """Create (and submit) a payment for each chosen proposal row: `{household_id, student_id, amount_fen}`.

    The rows must come from the proposal (their amounts may be changed); if any does not, or an amount is
    not a positive whole number of fen, nothing is created. Each payment is then its own transaction
    through `create_payment`: a refused row is reported with its rules and the others go on.
    """
    campaign = Campaign.objects.select_related("org", "source").get(pk=campaign.pk)
    if campaign.state == Campaign.State.CLOSED:
        _refuse("closed", _("This campaign is closed."))
    proposed = {_row_key(r["household_id"], r.get("student_id")): r for r in campaign.proposal or []}
    if not rows:
        _refuse("no_rows", _("Tick at least one household of the proposal."))
    breaches, chosen = [], []
    for row in rows:
        key = _row_key(row.get("household_id"), row.get("student_id"))
        if key not in proposed:
            breaches.append(RuleBreach("not_proposed", _(
                "Row %(row)s is not in this campaign's proposal; propose again.") % {"row": key}))
            continue
        label = _row_label(proposed[key])
        problem = _amount_problem(row.get("amount_fen"), label)
        if problem:
            breaches.append(RuleBreach("amount", problem, f"amount-{key}"))
        chosen.append((key, proposed[key], row.get("amount_fen")))
    if breaches:
        raise FundsRefused(breaches)

    households = {h.pk: h for h in Household.objects.filter(pk__in={r["household_id"] for _k, r, _a in chosen})
                  .select_related("org", "division").prefetch_related("members")}
    members = {m.pk: m for h in households.values() for m in h.members.all()}
    outcome = Outcome()
    results = {}
    for key, row, amount_fen in chosen:
        household = households.get(row["household_id"])
        student = members.get(row.get("student_id")) if row.get("student_id") else None
        if household is None or (row.get("student_id") and student is None):
            gone = RuleBreach("gone", _("The archive or student no longer exists."))
            outcome.refused.append((_row_label(row), [gone]))
            continue
        try:
            payment = create_payment(
                org=campaign.org, household=household, source=campaign.source, category=campaign.category,
                amount_fen=amount_fen, item=payment_item(campaign, household, student), period=campaign.period,
                actor=actor, year=campaign.year, student=student, campaign=campaign,
            )
        except FundsRefused as refusal:
            outcome.refused.append((_row_label(row), refusal.breaches))
            results[key] = {"payment_id": None, "amount_fen": amount_fen, "breaches": [
                {"code": b.code, "message": b.message} for b in refusal.breaches]}
        else:
            outcome.done.append(payment)
            results[key] = {"payment_id": payment.pk, "amount_fen": amount_fen, "breaches": []}
    with transaction.atomic():
        # Record on the proposal what became of each row (another person may have proposed meanwhile:
        # rows are matched by key, so only rows still in the proposal are marked).
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        proposal = list(campaign.proposal or [])
        for row in proposal:
            result = results.get(_row_key(row["household_id"], row.get("student_id")))
            if result:
                row.update(result)
        campaign.proposal = proposal
        if outcome.done:
            campaign.state = Campaign.State.SUBMITTED
        campaign.save(update_fields=["proposal", "state"])
        audit.log_access(None, "fund_campaign_payments", obj=campaign, user=actor, created=len(outcome.done),
                         refused=len(outcome.refused))
    return outcome


def _row_label(row: dict) -> str:
    who = row.get("head_masked") or ""
    if row.get("student_masked"):
        who = f"{who} / {row['student_masked']}"
    return f"{row.get('archive_number', '')} {who}".strip()


def awaiting_step_of(campaign: Campaign, actor) -> list[Disbursement]:
    """The campaign's payments in approval whose next step is decided by one of `actor`'s roles."""
    roles = actor.role_set
    payments = (Disbursement.objects.restrict(actor, "approve")
                .filter(campaign=campaign, state=DisbursementState.SUBMITTED)
                .only("pk", "route", "current_step", "state"))
    return [p for p in payments if p.next_step and p.next_step["role"] in roles]


def approve_all(campaign: Campaign, actor, **decision) -> Outcome:
    """Decide, as `actor`, the next step of every payment of the campaign that waits for one of their roles.

    Each payment in its own transaction (`approve_many`); a refused one (e.g. the actor created it, or the
    money ran out at the last step) is reported with its rule and the others go on.
    """
    waiting = awaiting_step_of(campaign, actor)
    if not waiting:
        _refuse("nothing_to_approve", _("No payment of this campaign is waiting for a step of your role."))
    decided, refused = approve_many(waiting, actor, **decision)
    outcome = Outcome(done=decided)
    labels = dict(Disbursement.objects.filter(pk__in=[p.pk for p, _e in refused])
                  .values_list("pk", "household__archive_number"))
    outcome.refused = [(f"#{p.pk} {labels.get(p.pk, '')}", error.breaches) for p, error in refused]
    audit.log_access(None, "fund_campaign_approve", obj=campaign, user=actor, decided=len(decided),
                     refused=len(refused))
    return outcome


def payable_of(campaign: Campaign, actor):
    """The campaign's approved payments the actor may send to the bank now (notice over, not in a batch)."""
    return payable(campaign.org).filter(campaign=campaign).filter(
        pk__in=Disbursement.objects.restrict(actor, "batch").values("pk"))


def in_notice(campaign: Campaign) -> dict:
    """{n, until}: approved payments of the campaign still in their public notice, and its last day."""
    return (Disbursement.objects.filter(campaign=campaign, state=DisbursementState.APPROVED, batch__isnull=True,
                                        notice_until__gte=timezone.localdate())
            .aggregate(n=Count("id"), until=Max("notice_until")))


def send_to_bank(campaign: Campaign, actor):
    """Put every payable payment of the campaign into one new bank batch of the paying union."""
    ids = list(payable_of(campaign, actor).values_list("pk", flat=True))
    if not ids:
        last = in_notice(campaign)["until"]
        if last:
            _refuse("notice", _("The approved payments are in public notice until %(date)s; send them to the bank "
                                "after that.") % {"date": last})
        _refuse("nothing_payable", _("No approved payment of this campaign is waiting for the bank."))
    return create_batch(org=campaign.org, payments=ids, actor=actor, note=campaign.name)
