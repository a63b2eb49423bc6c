"""Demo households for `manage.py seed_demo` (issue 3, item 9): a few thousand synthetic archives.

Households are spread over the demo tree's grassroots unions (enterprise and community) and assistance
centres, in every lifecycle state (draft … active, refused, exited, cancelled, merged; some temporary
relief, transferred, appealed), with 1–5 members whose resident ID numbers are valid synthetic numbers
(`synthetic_resident_id`, area = the residence division of the union, unique over the data set), 12 months
of incomes per earner placed in bands around the local line L (below L, L…1.5·L, 1.5…2·L, above, and the
exact boundaries L, 1.5·L, 2·L, 3·L), rigid expenses, accident costs, assets (some excluded), one main
and 0–3 secondary causes. One demo city (绵阳市) uses Standard B through an illustrative
`ClassificationPolicy`, so both standards' categories appear.

Everything is inserted with `bulk_create` (no per-row signals; `seed_demo` wraps it in one bulk job) and
classified afterwards by the engine's set-based path (`classification.bulk.categories`); every household
then gets a stored `Classification` (explanation) and need score computed by the engine's single-household
functions over facts read in bulk (`store_explanations`), so each archive page explains its category.
The same seed and date give the same data.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from bangfu.core.crypto import keyed_hash
from bangfu.core.identity import synthetic_resident_id
from bangfu.core.masking import mask_id_number, mask_name, mask_phone
from bangfu.core.months import month_starts
from bangfu.orgs.models import Org, living_line, minimum_wage
from bangfu.registry.models import (
    OPEN_STATES,
    Appeal,
    AssetDeclaration,
    Closure,
    Consent,
    Expense,
    HomeVisit,
    Household,
    HouseholdCause,
    LevelOpinion,
    Member,
    MonthlyIncome,
    NoticeObjection,
    PublicNotice,
    State,
    TimelineEvent,
    Transfer,
)
from bangfu.registry.search import initials

DEFAULT_HOUSEHOLDS = 3000
DEMO_SOURCE = "demo value, illustrative — not an official figure"
SCHEME_B_CITY = "510700"  # 绵阳市 uses the 2021 scheme in the demo
CENT = Decimal("0.01")

# Share of households per state (sums to 1000).
STATES = [
    (State.DRAFT, 35), (State.APPLIED, 35), (State.FIRST_CHECK, 35), (State.HOME_VISIT, 35),
    (State.ECONOMIC_CHECK, 35), (State.PUBLIC_NOTICE, 45), (State.APPROVAL, 35), (State.ACTIVE, 580),
    (State.REFUSED, 50), (State.EXITED, 90), (State.CANCELLED, 15), (State.MERGED, 10),
]
# The path of an archive through the lifecycle, for its timeline and records.
PATH = [State.DRAFT, State.APPLIED, State.FIRST_CHECK, State.HOME_VISIT, State.ECONOMIC_CHECK,
        State.PUBLIC_NOTICE, State.APPROVAL, State.ACTIVE]
NOTICED = frozenset({State.PUBLIC_NOTICE, State.APPROVAL, State.ACTIVE, State.EXITED, State.MERGED})
# The lifecycle action that leads into each state (the timeline kinds the real actions write).
ACTION_INTO = {
    State.APPLIED: "submit", State.FIRST_CHECK: "first_check_start", State.HOME_VISIT: "first_check",
    State.ECONOMIC_CHECK: "home_visit", State.PUBLIC_NOTICE: "economic_check_complete",
    State.APPROVAL: "notice_close", State.ACTIVE: "approve", State.REFUSED: "refuse", State.EXITED: "exit",
    State.CANCELLED: "temporary_cancel", State.MERGED: "merged",
}
# Income bands (share per 1000): where the per-capita income sits relative to the line L.
BANDS = [
    ("deep", 280), ("roster", 40), ("marginal", 210), ("accident", 70), ("accident_high", 20),
    ("relative", 110), ("above", 80), ("excluded", 60), ("boundary", 90), ("imputed", 40),
]
BOUNDARIES = (Decimal("1"), Decimal("1.5"), Decimal("2"), Decimal("3"))
MARGINAL_CAUSES = ("3", "6", "9", "11", "12")
ACCIDENT_CAUSES = ("7", "8", "6")
OTHER_CAUSES = ("1", "2", "4", "5", "10")
EXIT_REASONS = ("out_of_hardship", "safety_net", "death", "failed_review", "moved", "voluntary")
EXIT_NOTES = {
    "out_of_hardship": "经复核，家庭收入已连续6个月高于当地低保标准，予以退出。",
    "safety_net": "已纳入政府社会救助兜底保障，转为工会常态化帮扶，予以退出。",
    "death": "户主因病去世，家庭无其他成员继续建档，予以退出。",
    "failed_review": "年度复核发现家庭有未申报的经营收入，不再符合建档条件，予以退出。",
    "moved": "职工已调离本单位并迁居外地，档案予以退出。",
    "voluntary": "职工本人申请退出困难职工档案。",
}
COMPOUND = ("欧阳", "司马", "诸葛", "上官")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾田董袁潘蒋蔡余杜叶程苏魏吕丁沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国文辉玲红志宏海燕晓春丹云鹏飞佳慧"
STREETS = "建设路 人民路 解放路 中山路 新华路 文化路 和平路 工业路 幸福路 光明路 长江路 黄河路".split()
BANKS = ("中国工商银行", "中国农业银行", "中国建设银行", "中国银行", "中国邮政储蓄银行", "农村商业银行")
REMARKS = ("", "", "家中有长期病人，需定期复查。", "子女在读，学费负担较重。", "住房困难，申请廉租房中。")
EMPLOYERS = "电子厂 物流公司 服装厂 机械厂 建筑公司 餐饮公司 物业公司 环卫所 快递站 食品厂".split()


def _pick(rng: random.Random, weighted):
    return rng.choices([value for value, _ in weighted], weights=[w for _, w in weighted])[0]


def _money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def _years_ago(on: dt.date, years: int, days: int = 0) -> dt.date:
    try:
        base = on.replace(year=on.year - years)
    except ValueError:
        base = on.replace(year=on.year - years, day=28)
    return base - dt.timedelta(days=days)


@contextlib.contextmanager
def _keep_given(model, *names):
    """Let bulk_create keep the timestamps we set (auto_now_add would overwrite them with 'now')."""
    fields = [model._meta.get_field(name) for name in names]
    saved = [(f.auto_now_add, f.auto_now) for f in fields]
    for f in fields:
        f.auto_now_add = f.auto_now = False
    try:
        yield
    finally:
        for f, (add, now) in zip(fields, saved, strict=True):
            f.auto_now_add, f.auto_now = add, now


def seed_policies() -> int:
    """One demo city uses Standard B (illustrative), if the engine's policy model is installed."""
    from bangfu.registry.models import ClassificationPolicy

    rows = [ClassificationPolicy(division_id=SCHEME_B_CITY, scheme="B", effective_from=dt.date(2024, 7, 1),
                                 source=DEMO_SOURCE, illustrative=True)]
    return len(ClassificationPolicy.objects.bulk_create(rows, ignore_conflicts=True))


class _Builder:
    def __init__(self, seed: int, count: int, as_of: dt.date):
        self.rng = random.Random(f"households-{seed}")
        self.count = count
        self.as_of = as_of
        self.months = month_starts(as_of, 12)
        self.ids: set[str] = set()
        self.orgs = list(
            Org.objects.filter(level=Org.Level.GRASSROOTS).order_by("path")
        ) + list(Org.objects.filter(kind=Org.Kind.ASSISTANCE_CENTRE).order_by("path"))
        if not self.orgs:
            raise ValueError("No grassroots unions: seed the union tree first.")
        self.by_path = {o.path: o for o in Org.objects.all()}
        self.lines, self.wages = {}, {}
        for division_id in {org.division_id for org in self.orgs}:
            line, wage = living_line(division_id, as_of), minimum_wage(division_id, as_of)
            self.lines[division_id] = line.amount if line else Decimal("1000")
            self.wages[division_id] = wage.amount if wage else Decimal("2000")
        self.archive_seq: Counter = Counter()
        # Rows, collected per household and inserted in bulk afterwards.
        self.households: list[Household] = []
        self.plans: list[dict] = []

    def parent(self, org: Org) -> Org:
        return self.by_path[org.path[: -org.steplen]]

    # --- people ----------------------------------------------------------------------------------------

    def surname(self) -> str:
        return self.rng.choice(COMPOUND) if self.rng.random() < 0.02 else self.rng.choice(SURNAMES)

    def given(self) -> str:
        return "".join(self.rng.choice(GIVEN) for _ in range(self.rng.choice((1, 2, 2))))

    def identity(self, area: str, birth: dt.date, sex: str) -> str:
        while True:
            seq = self.rng.randrange(0, 500) * 2 + (1 if sex == "M" else 0)
            number = synthetic_resident_id(area, birth, seq)
            if number not in self.ids:
                self.ids.add(number)
                return number

    def birth(self, age_from: int, age_to: int) -> dt.date:
        return _years_ago(self.as_of, self.rng.randint(age_from, age_to), self.rng.randrange(0, 365))

    def phone(self) -> str:
        return self.rng.choice(("138", "139", "135", "186", "177", "150")) + f"{self.rng.randrange(10**8):08d}"

    def person(self, household_plan, *, relation, sex, birth, surname=None, **fields) -> dict:
        name = (surname or self.surname()) + self.given()
        return {"relation": relation, "name": name, "sex": sex, "birth_date": birth,
                "identity": self.identity(household_plan["area"], birth, sex), **fields}

    # --- one household ---------------------------------------------------------------------------------

    def plan_household(self, index: int) -> None:
        rng = self.rng
        org = self.orgs[index % len(self.orgs)]
        division = org.division_id
        line, wage = self.lines[division], self.wages[division]
        state = _pick(rng, STATES)
        band = _pick(rng, BANDS)
        size = rng.choices((1, 2, 3, 4, 5), weights=(12, 25, 33, 20, 10))[0]
        plan = {"org": org, "area": division, "state": state, "band": band, "line": line, "wage": wage}

        # The head: mostly working age; some retired.
        retired = band != "imputed" and rng.random() < 0.12
        head_age = rng.randint(61, 72) if retired else rng.randint(30, 50) if band == "imputed" else rng.randint(24, 58)
        head_sex = rng.choice("MF")
        surname = self.surname()
        single_parent = size >= 2 and rng.random() < 0.12
        married = size >= 2 and not single_parent
        head_status = "retired" if retired else rng.choice(
            ("employed", "employed", "employed", "laid_off", "sick_leave", "migrant", "early_retired")
        )
        is_migrant = head_status == "migrant"
        health = rng.choice(("good",) * 6 + ("cancer", "cardiovascular", "diabetes", "renal", "disabled"))
        head = self.person(
            plan, relation="self", sex=head_sex, birth=self.birth(head_age, head_age), surname=surname,
            is_head=True, work_status=head_status, health=health,
            # A laid-off head in a low band has a certificate of inability to work: no minimum-wage imputation.
            evidence_of_no_income=head_status in ("laid_off",) and band != "imputed",
            able_to_work=health == "good" or rng.random() < 0.5,
            marital_status="married" if married else rng.choice(("divorced", "widowed", "single")),
        )
        if band == "imputed":
            head.update(work_status="unemployed", health="good", able_to_work=True, evidence_of_no_income=False)
        members = [head]
        if married:
            spouse_age = max(22, min(75, head_age + rng.randint(-4, 4)))
            spouse_status = rng.choice(("employed", "none", "retired" if spouse_age > 58 else "sick_leave"))
            members.append(self.person(
                plan, relation="spouse", sex="F" if head_sex == "M" else "M", birth=self.birth(spouse_age, spouse_age),
                work_status=spouse_status, health=rng.choice(("good", "good", "diabetes", "mental")),
                marital_status="married",
                # Not employed: cares for a family member (evidence), so no wage is imputed.
                evidence_of_no_income=spouse_status == "none", able_to_work=spouse_status != "sick_leave",
            ))
        while len(members) < size:
            if rng.random() < 0.75 and head_age < 62:
                child_age = rng.randint(3, min(22, max(3, head_age - 20)))
                stage = ("preschool" if child_age < 6 else "primary" if child_age < 12 else "junior" if child_age < 15
                         else "senior" if child_age < 18 else "undergraduate")
                members.append(self.person(
                    plan, relation="child", sex=rng.choice("MF"), birth=self.birth(child_age, child_age),
                    surname=surname, is_student=True, school_stage=stage, work_status="",
                    health="good", marital_status="single",
                ))
            else:
                parent_age = min(95, head_age + rng.randint(22, 32))
                members.append(self.person(
                    plan, relation="parent", sex=rng.choice("MF"), birth=self.birth(parent_age, parent_age),
                    surname=surname if rng.random() < 0.5 else None, work_status="retired",
                    health=rng.choice(("good", "cerebrovascular", "cardiovascular", "disabled")),
                    marital_status=rng.choice(("married", "widowed")), basic_pension=True,
                ))
        size = len(members)

        # Per-capita income target P (yuan/month) from the band, and what the household costs.
        u = rng.uniform
        target = {
            "deep": lambda: line * Decimal(str(round(u(0.3, 0.9), 3))),
            "roster": lambda: line * Decimal(str(round(u(1.0, 1.4), 3))),
            "marginal": lambda: line * Decimal(str(round(u(1.0, 1.5), 3))),
            "accident": lambda: line * Decimal(str(round(u(1.2, 2.9), 3))),
            "accident_high": lambda: line * Decimal(str(round(u(3.05, 4.0), 3))),
            "relative": lambda: line * Decimal(str(round(u(1.52, 2.3), 3))),
            "above": lambda: line * Decimal(str(round(u(2.05, 4.5), 3))),
            "excluded": lambda: line * Decimal(str(round(u(0.4, 1.3), 3))),
            "boundary": lambda: line * rng.choice(BOUNDARIES),
            "imputed": lambda: Decimal("0"),
        }[band]()
        monthly_total = _money(target * size)
        annual = monthly_total * 12
        expenses, assets = [], {"residential_homes": rng.choice((0, 1, 1)), "savings": _money(u(0, 3) * float(line))}
        causes_main = rng.choice(OTHER_CAUSES + MARGINAL_CAUSES)
        if band in ("marginal", "relative", "boundary"):
            causes_main = rng.choice(MARGINAL_CAUSES)
            # Rigid costs bring (income − rigid)/12/size to the line or below (marginal) — or, for "relative",
            # below 2·L under Standard B while staying above L.
            floor = line if band != "relative" else line * Decimal("1.4")
            needed = max(Decimal("0"), annual - floor * 12 * size)
            if band == "boundary" and rng.random() < 0.5:
                needed = Decimal("0")  # boundary households with and without costs
            rigid = _money(needed + Decimal(rng.randrange(0, 3000)))
            if rigid > 0:
                kinds = ("medical", "education", "rehabilitation")
                parts = rng.randint(1, 3)
                for i in range(parts):
                    amount = _money(rigid / parts) if i < parts - 1 else rigid - _money(rigid / parts) * (parts - 1)
                    expenses.append(("rigid", rng.choice(kinds), amount))
        elif band in ("accident", "accident_high"):
            causes_main = rng.choice(ACCIDENT_CAUSES)
            extra = assets["savings"]
            if band == "accident_high":
                assets["net_investment_assets"] = _money(u(0, 1) * float(line))
                extra += assets["net_investment_assets"]
            cost = _money((annual + extra) * Decimal(str(round(u(0.95, 1.3), 3))))
            expenses.append(("accident", "disaster" if causes_main == "7" else "accident", cost))
            if rng.random() < 0.5:
                offset = rng.choice(("insurance", "compensation", "aid"))
                expenses.append(("offset", offset, _money(cost * Decimal("0.05"))))
        if rng.random() < 0.15 and band in ("deep", "above", "roster"):
            expenses.append(("rigid", "medical", _money(rng.randrange(500, 8000))))
        if band == "excluded":
            exclusion = rng.choice(("motor_vehicle", "homes", "non_residential_property", "business_with_employees",
                                    "high_fee_private_school", "studying_abroad_own_cost", "savings"))
            if exclusion == "homes":
                assets["residential_homes"] = 2
            elif exclusion == "savings":
                assets["savings"] = _money(line * 24 * size + rng.randrange(1000, 50000))
            else:
                assets[exclusion] = True
        secondary = [c for c in rng.sample(OTHER_CAUSES + MARGINAL_CAUSES + ACCIDENT_CAUSES, 4) if c != causes_main]
        secondary = list(dict.fromkeys(secondary))[: rng.choice((0, 0, 1, 1, 2, 3))]
        if single_parent and causes_main != "12" and "12" not in secondary and len(secondary) < 3:
            secondary.append("12")

        # Who earns what: the head (and an employed spouse) share the household's counted income.
        earners = [m for m in members if m["relation"] == "self" or m.get("work_status") == "employed"]
        if band == "imputed":
            earners = []
        incomes = []
        if earners and monthly_total > 0:
            shares = [Decimal("1")] if len(earners) == 1 else [Decimal("0.6"), Decimal("0.4")]
            earners = earners[: len(shares)]
            amounts = [_money(monthly_total * s) for s in shares]
            amounts[-1] = monthly_total - sum(amounts[:-1])
            vary = band in ("deep", "above")  # exact bands stay exact every month
            for member, amount in zip(earners, amounts, strict=True):
                kind = "pension" if member.get("work_status") == "retired" else "wage"
                if head_status == "laid_off" and member["relation"] == "self":
                    kind = "unemployment"
                for month in self.months:
                    value = _money(amount * Decimal(str(round(u(0.95, 1.05), 3)))) if vary else amount
                    incomes.append((member, month, kind, value))
        for member in members:
            if member.get("basic_pension"):
                for month in self.months:
                    incomes.append((member, month, "basic_pension", Decimal("150.00")))
            member["declared"] = sum((v for m, _, k, v in incomes if m is member and k != "basic_pension"),
                                     Decimal("0")) / 12

        plan.update(members=members, incomes=incomes, expenses=expenses, assets=assets, main=causes_main,
                    secondary=secondary, size=size, single_parent=single_parent, is_migrant=is_migrant,
                    roster=band == "roster")
        self.plans.append(plan)
        self.households.append(self.household_row(plan))

    def household_row(self, plan) -> Household:
        rng, org, state = self.rng, plan["org"], plan["state"]
        head = plan["members"][0]
        self.archive_seq[org.code] += 1
        # Dates: archives in progress applied in the last two months; others earlier.
        if state in (State.DRAFT, State.APPLIED, State.FIRST_CHECK, State.HOME_VISIT, State.ECONOMIC_CHECK,
                     State.PUBLIC_NOTICE, State.APPROVAL):
            applied = self.as_of - dt.timedelta(days=rng.randint(3, 60))
        else:
            applied = self.as_of - dt.timedelta(days=rng.randint(90, 900))
        year = applied.year
        activated = applied + dt.timedelta(days=rng.randint(20, 35)) if state in (
            State.ACTIVE, State.EXITED, State.MERGED) else None
        exited = None
        if state == State.EXITED:
            exited = min(self.as_of - dt.timedelta(days=1), activated + dt.timedelta(days=rng.randint(60, 500)))
        account = f"62{rng.randrange(10**16):016d}" if rng.random() < 0.9 else ""
        # Annual reviews of an active archive: most were done on time (within a month of the due date), some
        # are overdue — the list's "review overdue" filter has rows.
        reviews, due = [], _years_ago(activated, -1) if activated else None
        if state == State.ACTIVE:
            while due <= self.as_of and rng.random() < 0.85:
                reviewed = min(self.as_of, due - dt.timedelta(days=rng.randint(0, 30)))
                reviews.append(reviewed)
                due = _years_ago(reviewed, -1)
        plan.update(applied=applied, activated=activated, exited=exited, reviews=reviews)
        return Household(
            org=org, archive_number=f"{org.code}-{year}-{self.archive_seq[org.code]:05d}",
            archive_level=4 if org.level == Org.Level.GRASSROOTS else 3, state=state,
            is_temporary_relief=state == State.CANCELLED or (state == State.ACTIVE and rng.random() < 0.04),
            applied_by_union=rng.random() < 0.2, division_id=plan["area"], registration_division_id=plan["area"],
            address=f"{org.division.name}{rng.choice(STREETS)}{rng.randint(1, 399)}号{rng.randint(1, 30)}栋"
                    f"{rng.randint(1, 28)}0{rng.randint(1, 6)}室",
            housing_type=rng.choice(("public_rent", "low_rent", "owned", "no_home", "rented", "self_built")),
            housing_area=_money(rng.uniform(18, 95)), single_parent=plan["single_parent"],
            zero_employment=not any(m.get("work_status") == "employed" for m in plan["members"]),
            some_self_help_ability=rng.random() < 0.6, on_minimum_living_roster=plan["roster"],
            is_migrant_worker=plan["is_migrant"], urgent_care=rng.random() < 0.05,
            bank_name=rng.choice(BANKS) if account else "", bank_account=account, bank_account_last4=account[-4:],
            bank_account_holder=head["name"] if account else "",
            remarks=rng.choice(REMARKS),
            applied_on=applied if state != State.DRAFT else None, activated_on=activated,
            review_due_on=due if state == State.ACTIVE else None,
            exited_on=exited, exit_reason=rng.choice(EXIT_REASONS) if state == State.EXITED else "",
            notice_place=rng.choice(("workplace", "community")) if state in NOTICED else "",
            head_name_masked=mask_name(head["name"]), head_name_initials=initials(head["name"]),
            household_size=plan["size"],
            created_at=timezone.make_aware(dt.datetime.combine(applied, dt.time(9, rng.randint(0, 59)))),
        )

    # --- members and dependent rows -------------------------------------------------------------------

    def member_rows(self) -> list[Member]:
        rows = []
        for household, plan in zip(self.households, self.plans, strict=True):
            is_open = household.state in OPEN_STATES
            for p in plan["members"]:
                number = p["identity"]
                digest = keyed_hash(number)
                phone = self.phone() if p["relation"] in ("self", "spouse") else ""
                head = p["relation"] == "self"
                member = Member(
                    household=household, is_head=head, relation=p["relation"], name=p["name"],
                    name_initials=initials(p["name"]), sex=p["sex"], birth_date=p["birth_date"],
                    identity_number=number, identity_hash=digest, identity_masked=mask_id_number(number),
                    open_identity_hash=digest if is_open else None,
                    health=p.get("health", "good"), work_status=p.get("work_status", ""),
                    disability_type="physical" if p.get("health") == "disabled" else "",
                    disability_grade=self.rng.randint(1, 4) if p.get("health") == "disabled" else None,
                    able_to_work=p.get("able_to_work", True), is_student=p.get("is_student", False),
                    school_stage=p.get("school_stage", ""), evidence_of_no_income=p.get("evidence_of_no_income", False),
                    medical_insurance=self.rng.choice(("employee", "employee", "resident", "none")),
                    marital_status=p.get("marital_status", ""), hukou_type=self.rng.choice(("non_agri", "agri",
                                                                                          "converted")),
                    phone=phone, phone_masked=mask_phone(phone), monthly_income_declared=_money(p["declared"]),
                )
                if head:
                    member.worker_number = f"W{self.rng.randrange(10**7):07d}"
                    member.ethnicity = self.rng.choice(("01",) * 12 + ("03", "08", "11", "15"))
                    member.political_status = self.rng.choice(("masses", "masses", "cpc", "league"))
                    member.model_worker_level = "none" if self.rng.random() < 0.97 else "city"
                    member.work_started_on = _years_ago(p["birth_date"], -self.rng.randint(18, 23))
                    member.industry = self.rng.choice(("manufacturing", "construction", "transport", "retail",
                                                       "hospitality", "services"))
                    member.employer_name = plan["org"].name.replace("工会委员会", "").replace("工会", "") + (
                        "" if plan["org"].kind == Org.Kind.ENTERPRISE else self.rng.choice(EMPLOYERS))
                    member.employer_type = "private" if p["work_status"] != "migrant" else "flexible"
                    if plan["is_migrant"]:
                        member.labour_relation_since = self.as_of - dt.timedelta(days=self.rng.choice((200, 500, 900)))
                p["row"] = member
                rows.append(member)
        return rows

    def finance_rows(self):
        incomes, expenses, causes, assets = [], [], [], []
        for household, plan in zip(self.households, self.plans, strict=True):
            # The largest table: plain tuples for one executemany (no model instances).
            incomes.extend((household.pk, person["row"].pk, month, kind, amount)
                           for person, month, kind, amount in plan["incomes"])
            for group, kind, amount in plan["expenses"]:
                on = self.months[self.rng.randrange(1, 12)] + dt.timedelta(days=self.rng.randrange(0, 27))
                expenses.append(Expense(household=household, group=group, kind=kind, incurred_on=min(on, self.as_of),
                                        amount=amount))
            causes.append(HouseholdCause(household=household, code=plan["main"], is_main=True))
            causes.extend(HouseholdCause(household=household, code=c, is_main=False) for c in plan["secondary"])
            a = plan["assets"]
            assets.append(AssetDeclaration(
                household=household, residential_homes=a.get("residential_homes", 0),
                non_residential_property=a.get("non_residential_property", False),
                business_with_employees=a.get("business_with_employees", False),
                high_fee_private_school=a.get("high_fee_private_school", False),
                studying_abroad_own_cost=a.get("studying_abroad_own_cost", False),
                motor_vehicle=a.get("motor_vehicle", False), savings=a.get("savings", Decimal("0")),
                net_investment_assets=a.get("net_investment_assets", Decimal("0")), declared_on=plan["applied"],
            ))
        return incomes, expenses, causes, assets

    def lifecycle_rows(self, staff_names: dict):
        """Timeline, visits, opinions, notices, closures, appeals and transfers matching each state."""
        rng, tz = self.rng, timezone.get_current_timezone()
        events, visits, opinions, notices, closures, consents, transfers = [], [], [], [], [], [], []
        appeal_plans = []
        for household, plan in zip(self.households, self.plans, strict=True):
            org, state = plan["org"], household.state
            county = self.parent(org)  # the county federation (also of an assistance centre)
            reached = PATH[: PATH.index(state) + 1] if state in PATH else PATH[: rng.randint(2, 7)]
            if state in (State.EXITED, State.MERGED):
                reached = PATH
            day = plan["applied"]
            at = lambda d: dt.datetime.combine(d, dt.time(10, rng.randint(0, 59)), tzinfo=tz)  # noqa: E731
            events.append(TimelineEvent(household=household, kind="created", to_state=State.DRAFT, at=at(day)))
            head_name = plan["members"][0]["name"]
            signer = staff_names.get(org.pk, "")
            if state != State.DRAFT:
                # Signed with the application: sensitive data, and a guardian's consent per child under 14.
                consents.append(Consent(household=household, kind="sensitive_data", signed_on=day,
                                        signed_by_name=head_name))
                consents.extend(
                    Consent(household=household, member=p["row"], kind="guardian", signed_on=day,
                            signed_by_name=head_name)
                    for p in plan["members"] if _years_ago(self.as_of, 14) < p["birth_date"]
                )
            for previous, current in zip(reached, reached[1:], strict=False):
                day = min(self.as_of, day + dt.timedelta(days=rng.randint(1, 5)))
                detail, reason = {}, ""
                if current == State.APPLIED:
                    detail = {"by_union": household.applied_by_union}
                elif current == State.HOME_VISIT:
                    reason = "材料齐全，情况属实，同意入户调查。"
                elif current == State.PUBLIC_NOTICE:
                    reason = "经济状况核对未发现异常。"
                elif current == State.APPROVAL:
                    reason = "公示期满无异议"
                elif current == State.ACTIVE:
                    reason = "经审核，同意建档。"
                    detail = {"review_due_on": str(_years_ago(household.activated_on, -1))} if (
                        household.activated_on) else {}
                event = TimelineEvent(household=household, kind=ACTION_INTO[current], from_state=previous,
                                      to_state=current, reason=reason, detail=detail, at=at(day))
                events.append(event)
                if current == State.HOME_VISIT:
                    opinions.append(LevelOpinion(household=household, stage="first_check", org=org, level=org.level,
                                                 decision="pass", opinion="材料齐全，情况属实，同意入户调查。",
                                                 by_name=signer, on=day))
                if current == State.ECONOMIC_CHECK:
                    visitors = f"{signer}、{rng.choice(SURNAMES)}{rng.choice(GIVEN)}"
                    visits.append(HomeVisit(household=household, visited_on=day, visitors=visitors,
                                            findings=rng.choice(("家庭陈设简单，收入来源单一，与申报情况相符。",
                                                                 "住房狭小，家中有长期病人需照料，情况属实。",
                                                                 "子女在读，家庭支出较大，申报情况属实。"))))
                    consents.append(Consent(household=household, kind="economic_check", signed_on=day,
                                            signed_by_name=head_name))
                    consents.append(Consent(household=household, kind="public_notice", signed_on=day,
                                            signed_by_name=head_name, notice_content="姓名（隐去名字）、困难类别",
                                            notice_place=household.notice_place or "workplace"))
                    event.detail = {"visited_on": str(day), "visitors": visitors}
                    opinions.append(LevelOpinion(household=household, stage="home_visit", org=org, level=org.level,
                                                 decision="pass", opinion="入户调查情况属实。", by_name=signer, on=day))
                if current == State.PUBLIC_NOTICE:
                    opinions.append(LevelOpinion(household=household, stage="economic_check", org=org,
                                                 level=org.level, decision="pass",
                                                 opinion="经济状况核对未发现异常。", by_name=signer, on=day))
                    ends = day + dt.timedelta(days=7)
                    closed = ends if reached[-1] != State.PUBLIC_NOTICE else None
                    notices.append(PublicNotice(
                        household=household, starts_on=day, ends_on=ends,
                        place=household.notice_place or "workplace", name_masked=household.head_name_masked,
                        closed_on=closed, result="公示期满无异议" if closed else "",
                    ))
                    events.append(TimelineEvent(
                        household=household, kind="notice_start", at=at(day),
                        detail={"starts_on": str(day), "ends_on": str(ends), "place": notices[-1].place},
                    ))
                    if closed:
                        day = min(self.as_of, ends)
                if current == State.ACTIVE:
                    opinions.append(LevelOpinion(household=household, stage="approval", org=county,
                                                 level=county.level, decision="approve",
                                                 opinion="经审核，同意建档。", by_name=staff_names.get(county.pk, ""),
                                                 on=household.activated_on or day))
            if state in (State.REFUSED, State.EXITED, State.CANCELLED, State.MERGED):
                closed_on = household.exited_on or min(self.as_of, day + dt.timedelta(days=rng.randint(1, 10)))
                kind = {"refused": "refusal", "exited": "exit", "cancelled": "cancellation", "merged": "merge"}[state]
                reason = {"refused": "家庭人均收入高于认定标准，不符合建档条件。",
                          "exited": EXIT_NOTES.get(household.exit_reason, ""),
                          "cancelled": "临时救助已完成，不转为常态档案。",
                          "merged": "与同一家庭的另一档案合并。"}[state]
                detail = {}
                if state == State.EXITED:
                    detail = {"exit_reason": household.exit_reason, "monitor_until": str(_years_ago(closed_on, -1))}
                elif state == State.REFUSED:
                    detail = {"notify_by": str(closed_on + dt.timedelta(days=5))}
                events.append(TimelineEvent(household=household, kind=ACTION_INTO[state], from_state=reached[-1],
                                            to_state=state, reason=reason, detail=detail, at=at(closed_on)))
                if state == State.REFUSED:
                    told = closed_on + dt.timedelta(days=2)
                    events.append(TimelineEvent(household=household, kind="refusal_notified", at=at(told),
                                                detail={"notified_on": str(told), "in_time": True}))
                closures.append(Closure(
                    household=household, kind=kind, from_state=reached[-1],
                    reason_code=household.exit_reason if state == State.EXITED else "", reason=reason,
                    closed_on=closed_on, notify_by=closed_on + dt.timedelta(days=5) if state == State.REFUSED else None,
                    notified_on=closed_on + dt.timedelta(days=2) if state == State.REFUSED else None,
                    monitor_until=_years_ago(closed_on, -1) if state == State.EXITED else None, org=org,
                ))
                if state in (State.REFUSED, State.EXITED):
                    stage = "exit" if state == State.EXITED else "first_check"
                    decider = county if state == State.EXITED else org
                    opinions.append(LevelOpinion(household=household, stage=stage, org=decider, level=decider.level,
                                                 decision="exit" if state == State.EXITED else "refuse",
                                                 opinion=reason, by_name=staff_names.get(decider.pk, ""),
                                                 on=closed_on))
                    if rng.random() < 0.2:
                        appeal_plans.append((household, len(closures) - 1, closed_on))
            for reviewed in plan["reviews"]:
                events.append(TimelineEvent(
                    household=household, kind="review", reason="年度复核：家庭情况无明显变化，继续保留档案。",
                    detail={"reviewed_on": str(reviewed), "review_due_on": str(_years_ago(reviewed, -1))},
                    at=at(reviewed)))
            if state == State.ACTIVE and rng.random() < 0.03:
                siblings = [o for o in self.orgs if o.path[:-4] == org.path[:-4] and o.pk != org.pk]
                if siblings:
                    source = rng.choice(siblings)
                    on = min(self.as_of, (household.activated_on or day) + dt.timedelta(days=rng.randint(10, 200)))
                    transfers.append(Transfer(household=household, from_org=source, to_org=org,
                                              name_masked=household.head_name_masked, on=on,
                                              reason="原单位工会撤销，档案转入。"))
                    events.append(TimelineEvent(household=household, kind="transfer",
                                                reason="原单位工会撤销，档案转入。",
                                                detail={"from_org": source.name, "to_org": org.name}, at=at(on)))
        return events, visits, opinions, notices, closures, consents, transfers, appeal_plans


def _insert_rows(model, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """INSERT many rows by executemany (SQLite and PostgreSQL)."""
    fields = [model._meta.get_field(c.removesuffix("_id")) if c.endswith("_id") else model._meta.get_field(c)
              for c in columns]
    q = connection.ops.quote_name
    # Table and column names come from the model; values are bound parameters.
    names = ", ".join(q(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {q(model._meta.db_table)} ({names}) VALUES ({placeholders})"  # noqa: S608
    # Values are ints, short strings, dates and Decimals, which both database drivers adapt natively.
    prepared = rows
    with connection.cursor() as cursor:
        for start in range(0, len(prepared), 5000):
            cursor.executemany(sql, prepared[start:start + 5000])


def _update_rows(model, columns: tuple[str, ...], objects: list) -> None:
    """UPDATE `columns` of many rows by primary key with one executemany (SQLite and PostgreSQL); values
    are prepared by the fields themselves (JSON, decimals, datetimes), unlike Django's CASE-based bulk_update."""
    fields = [model._meta.get_field(c) for c in columns]
    q = connection.ops.quote_name
    assignments = ", ".join(f"{q(f.column)} = %s" for f in fields)
    sql = f"UPDATE {q(model._meta.db_table)} SET {assignments} WHERE {q(model._meta.pk.column)} = %s"  # noqa: S608
    rows = [[f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields] + [obj.pk] for obj in objects]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 5000):
            cursor.executemany(sql, rows[start:start + 5000])


def seed_households(seed: int = 1, count: int = DEFAULT_HOUSEHOLDS, *, as_of: dt.date | None = None,
                    explain_limit: int | None = None) -> dict:
    """Insert `count` demo households (see the module docstring) and classify them. Returns counts.

    Call inside a transaction and a bulk job (seed_demo does). `as_of` (default: today) is the last income
    month and the evaluation date. Every household (or the first `explain_limit`; 0: none) also gets a
    stored `Classification` with its explanation and a need score (`store_explanations`), so its archive
    page explains the category.
    """
    as_of = as_of or timezone.localdate()
    seed_policies()
    builder = _Builder(seed, count, as_of)
    for index in range(count):
        builder.plan_household(index)

    with _keep_given(Household, "created_at"):
        Household.objects.bulk_create(builder.households, batch_size=500)
    members = builder.member_rows()
    Member.objects.bulk_create(members, batch_size=1000)
    incomes, expenses, causes, assets = builder.finance_rows()
    _insert_rows(MonthlyIncome, ("household_id", "member_id", "month", "income_type", "amount"), incomes)
    Expense.objects.bulk_create(expenses, batch_size=2000)
    HouseholdCause.objects.bulk_create(causes, batch_size=2000)
    AssetDeclaration.objects.bulk_create(assets, batch_size=2000)

    # A few merged archives point at an active archive of the same union.
    active_by_org: dict[int, int] = {}
    for household in builder.households:
        if household.state == State.ACTIVE:
            active_by_org.setdefault(household.org_id, household.pk)
    for household in builder.households:
        if household.state == State.MERGED and household.org_id in active_by_org:
            household.merged_into_id = active_by_org[household.org_id]
    Household.objects.bulk_update([h for h in builder.households if h.merged_into_id], ["merged_into"])

    from bangfu.accounts.models import User

    # Demo worker logins see their own archive: each heads the first active household of their union.
    workers = User.objects.filter(kind="worker", org__isnull=False).exclude(household_memberships__isnull=False)
    for user in workers.order_by("pk"):
        for household, plan in zip(builder.households, builder.plans, strict=True):
            if household.org_id == user.org_id and household.state == State.ACTIVE:
                Member.objects.filter(pk=plan["members"][0]["row"].pk).update(account=user)
                break

    staff_names = {}

    for org_id, full_name in User.objects.filter(kind="staff").order_by("pk").values_list("org_id", "full_name"):
        staff_names.setdefault(org_id, full_name)
    for org in builder.orgs:  # unions without a demo user: an invented cadre name
        staff_names.setdefault(org.pk, builder.rng.choice(SURNAMES) + builder.rng.choice(GIVEN))
        parent = builder.parent(org)
        staff_names.setdefault(parent.pk, builder.rng.choice(SURNAMES) + builder.rng.choice(GIVEN))
    events, visits, opinions, notices, closures, consents, transfers, appeal_plans = builder.lifecycle_rows(staff_names)
    with _keep_given(TimelineEvent, "at"):
        TimelineEvent.objects.bulk_create(events, batch_size=2000)
    HomeVisit.objects.bulk_create(visits, batch_size=2000)
    LevelOpinion.objects.bulk_create(opinions, batch_size=2000)
    PublicNotice.objects.bulk_create(notices, batch_size=2000)
    Closure.objects.bulk_create(closures, batch_size=2000)
    Consent.objects.bulk_create(consents, batch_size=2000)
    Transfer.objects.bulk_create(transfers, batch_size=2000)
    appeals = []
    for household, closure_index, closed_on in appeal_plans:
        decided = builder.rng.random() < 0.5
        appeals.append(Appeal(
            household=household, closure=closures[closure_index], filed_on=min(as_of, closed_on + dt.timedelta(days=5)),
            grounds="本人对认定结果有异议，家庭情况已发生变化，申请复核。", filed_by_worker=True,
            decision="upheld" if decided else "pending",
            decision_reason="经复核，维持原决定。" if decided else "",
            decided_on=min(as_of, closed_on + dt.timedelta(days=15)) if decided else None,
        ))
    Appeal.objects.bulk_create(appeals)
    tz = timezone.get_current_timezone()
    appeal_events = []
    for appeal in appeals:
        appeal_events.append(TimelineEvent(
            household=appeal.household, kind="appeal_file", reason=appeal.grounds,
            detail={"against": appeal.closure.kind, "by_worker": True},
            at=dt.datetime.combine(appeal.filed_on, dt.time(15, 0), tzinfo=tz)))
        if appeal.decided_on:
            appeal_events.append(TimelineEvent(
                household=appeal.household, kind="appeal_decide", reason=appeal.decision_reason,
                detail={"decision": appeal.decision},
                at=dt.datetime.combine(appeal.decided_on, dt.time(15, 30), tzinfo=tz)))
    with _keep_given(TimelineEvent, "at"):
        TimelineEvent.objects.bulk_create(appeal_events)
    objections = [
        NoticeObjection(notice=notice, received_on=notice.starts_on + dt.timedelta(days=2), objector="",
                        content="反映该户家庭收入情况与申报不符。", outcome="dismissed",
                        outcome_note="经核实，反映情况不属实。", decided_on=notice.starts_on + dt.timedelta(days=5))
        for notice in notices[::17]
    ]
    NoticeObjection.objects.bulk_create(objections)

    classified = classify_all(Household.objects.filter(pk__in=[h.pk for h in builder.households]), as_of,
                              explain_limit=explain_limit)
    return {
        "households": len(builder.households), "members": len(members), "incomes": len(incomes),
        "expenses": len(expenses), "events": len(events) + len(appeal_events), "notices": len(notices),
        "appeals": len(appeals), "transfers": len(transfers), "classified": classified,
    }


def classify_all(queryset, on: dt.date, *, explain_limit: int | None = None) -> int:
    """Categories of every household by the engine's bulk SQL path, stored in bulk; then a stored
    `Classification` (explanation) and need score for the households (`store_explanations`): all of them
    by default, the first `explain_limit` (by id) when given, none for 0. Returns how many got a category."""
    from bangfu.registry.classification import bulk
    from bangfu.registry.classification.params import resolve

    categories = bulk.categories(queryset, on)
    params = {division: resolve(division, on) for division in set(queryset.values_list("division_id", flat=True))}
    now = timezone.now()
    # One UPDATE per (category, scheme, common level): a handful of set-based statements.
    groups: dict[tuple, list[int]] = {}
    for pk, division_id in queryset.values_list("pk", "division_id"):
        category = categories.get(pk, "")
        p = params[division_id]
        groups.setdefault((category, p.scheme if category else "", p.common_level(category)), []).append(pk)
    for (category, scheme, level), ids in groups.items():
        for start in range(0, len(ids), 900):
            Household.objects.filter(pk__in=ids[start:start + 900]).update(
                category=category, scheme=scheme, common_level=level, classified_at=now
            )
    # The notice shows the category the archive had when it was posted.
    PublicNotice.objects.filter(household__in=queryset).update(
        category=Subquery(Household.objects.filter(pk=OuterRef("household_id")).values("category")[:1])
    )
    if explain_limit != 0:
        chosen = queryset.order_by("pk")
        if explain_limit is not None:
            chosen = Household.objects.filter(pk__in=list(chosen.values_list("pk", flat=True)[:explain_limit]))
        store_explanations(chosen, on, params=params)
    return sum(1 for c in categories.values() if c)


def store_explanations(queryset, on: dt.date, *, params: dict | None = None) -> int:
    """A current `Classification` (category, full explanation, inputs digest) and the need score of every
    household of `queryset`, as `classification.refresh` would store them, for thousands at once.

    The facts are read set-based (one query per table for all households, not five per household), then
    each household goes through the engine's own functions (`inputs_from_facts`, `evaluate`,
    `need_score.compute`), so the stored rows are exactly what `refresh` computes: a later `refresh` on
    unchanged inputs finds the same digest and writes nothing. Rows are inserted with `bulk_create`.
    Returns the number of rows written.
    """
    from django.db.models import Prefetch

    from bangfu.registry import need_score
    from bangfu.registry.classification.engine import ASSET_FIELDS, Facts, MemberFacts, evaluate, inputs_from_facts
    from bangfu.registry.classification.params import resolve
    from bangfu.registry.models import Classification
    from bangfu.registry.models.codes import codes_with_flag

    member_fields = ("id", "household_id", "birth_date", "is_head", "able_to_work", "is_student", "work_status",
                     "evidence_of_no_income", "is_union_member", "lives_in_city", "labour_relation_since",
                     "health", "disability_type", "disability_grade")
    households = list(
        queryset.only("id", "division_id", "on_minimum_living_roster", "below_line_after_government_aid",
                      "is_migrant_worker", "urgent_care", "category", "household_size")
        .prefetch_related(Prefetch("members", queryset=Member.objects.only(*member_fields).order_by("id")))
        .order_by("pk")
    )
    if not households:
        return 0
    params = dict(params or {})
    for division_id in {h.division_id for h in households} - set(params):
        params[division_id] = resolve(division_id, on)
    sample = next(iter(params.values()))
    first_month, last_month = sample.months[0], sample.months[-1]
    window_start = min(p.window_start for p in params.values())
    ids = [h.pk for h in households]

    incomes: dict[int, list] = {}
    expenses: dict[int, list] = {}
    assets: dict[int, dict] = {}
    causes: dict[int, set] = {}
    for start in range(0, len(ids), 900):
        chunk = ids[start:start + 900]
        for hid, *row in MonthlyIncome.objects.filter(
            household_id__in=chunk, month__gte=first_month, month__lte=last_month
        ).values_list("household_id", "member_id", "month", "income_type", "amount"):
            incomes.setdefault(hid, []).append(tuple(row))
        for hid, *row in Expense.objects.filter(
            household_id__in=chunk, incurred_on__gte=window_start, incurred_on__lte=on
        ).values_list("household_id", "group", "incurred_on", "amount"):
            expenses.setdefault(hid, []).append(tuple(row))
        for row in AssetDeclaration.objects.filter(household_id__in=chunk).values("household_id", *ASSET_FIELDS):
            assets.setdefault(row.pop("household_id"), row)
        for hid, code in HouseholdCause.objects.filter(household_id__in=chunk).values_list("household_id", "code"):
            causes.setdefault(hid, set()).add(code)

    now = timezone.now()
    weights, serious = need_score.weights_in_force(on), codes_with_flag("health", "serious")
    rows, changed = [], []
    for household in households:
        p = params[household.division_id]
        members = list(household.members.all())
        facts = Facts(
            members=[MemberFacts(
                key=m.pk, birth_date=m.birth_date, is_head=m.is_head, able_to_work=m.able_to_work,
                is_student=m.is_student, work_status=m.work_status, evidence_of_no_income=m.evidence_of_no_income,
                is_union_member=m.is_union_member, lives_in_city=m.lives_in_city,
                labour_relation_since=m.labour_relation_since,
            ) for m in members],
            incomes=incomes.get(household.pk, []), expenses=expenses.get(household.pk, []),
            assets=assets.get(household.pk), causes=causes.get(household.pk, set()),
            roster=household.on_minimum_living_roster, after_aid=household.below_line_after_government_aid,
            migrant=household.is_migrant_worker,
        )
        inputs = inputs_from_facts(facts, p)
        result = evaluate(inputs, p)
        size = inputs["size"]
        per_capita = (inputs["inc"] // (12 * size)) if size else None
        score, breakdown = need_score.compute(household, on, per_capita_fen=per_capita, line_fen=p.line_fen,
                                              params=p, weights=weights, serious=serious)
        rows.append(Classification(
            household_id=household.pk, evaluated_on=on, scheme=result.scheme, category=result.category,
            common_level=result.common_level, formula_version=result.formula_version,
            explanation=result.explanation, inputs_digest=result.inputs_digest, need_score=score, is_current=True,
        ))
        household.need_score, household.need_score_breakdown, household.classified_at = score, breakdown, now
        changed.append(household)
    for start in range(0, len(ids), 900):
        Classification.objects.filter(household_id__in=ids[start:start + 900], is_current=True).update(
            is_current=False)
    Classification.objects.bulk_create(rows, batch_size=500)
    # The category stays the one the bulk SQL path gave (both paths agree: test_polish_demo checks it).
    _update_rows(Household, ("need_score", "need_score_breakdown", "classified_at"), changed)
    return len(rows)
