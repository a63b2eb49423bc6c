"""Demo service platform for `manage.py seed_demo` (issue 7): called by `bangfu.orgs.demo.seed_demo` after the
households, money, help and monitoring, inside its transaction and bulk job.

Everything goes through the app's write functions, so each check, timeline row and notice is the platform's
own. In 天河区 (the showcase county): a menu, three verified providers and a fourth waiting for verification
(`th_provider` acts for the training school), published offers (training seats, a job fair, donated goods,
volunteer hours) and one waiting for moderation; requests ordered by households of the county (the demo
worker `th_worker` orders online for their own household), a round solved by the county's reviewer, and one
match taken all the way: accepted by both, delivered, signed off, rated. Offers' values and capacities are
illustrative. The same seed gives the same data.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from decimal import Decimal

from django.utils import timezone

COUNTY = "GD-GZ-TH"

MENU = [  # code, name, kind, unit, reference value per unit (illustrative)
    ("training-electrician", "电工上岗证培训", "training", "名额", Decimal("1500")),
    ("job-fair", "专场招聘会岗位", "job", "岗位", None),
    ("school-aid", "金秋助学金", "donation_money", "份", Decimal("2000")),
    ("goods-rice-oil", "米面油慰问品", "donation_goods", "份", Decimal("200")),
    ("volunteer-home-repair", "上门维修志愿服务", "volunteer", "小时", Decimal("50")),
    ("policy-medical", "医疗互助政策咨询", "policy", "次", None),
]


def seed_services(seed: int = 1) -> Counter:
    from bangfu.accounts.models import User
    from bangfu.orgs.models import Org
    from bangfu.registry.models import Household, State
    from bangfu.services.actions import matches as match_actions
    from bangfu.services.actions import offers as offer_actions
    from bangfu.services.actions import providers as provider_actions
    from bangfu.services.actions import requests as request_actions
    from bangfu.services.actions.rounds import round_create, round_solve
    from bangfu.services.models import Match, MatchState, ServiceItem

    counts: Counter = Counter()
    county = Org.objects.filter(code=COUNTY).first()
    reviewer = User.objects.filter(username="th_reviewer").first()
    caseworker = User.objects.filter(username="th_caseworker").first()
    provider_user = User.objects.filter(username="th_provider").first()
    worker = User.objects.filter(username="th_worker").first()
    if county is None or reviewer is None or caseworker is None:
        return counts
    rng = random.Random(seed * 7919 + 7)
    items = {}
    for code, name, kind, unit, value in MENU:
        items[code], _ = ServiceItem.objects.get_or_create(
            code=code, defaults={"name": name, "kind": kind, "unit": unit, "reference_value": value})
    counts["menu items"] = len(items)

    def register(name, kind, credit, contact, verify=True):
        provider = provider_actions.provider_register(
            reviewer, county, name=name, kind=kind, credit_code=credit, contact_name=contact,
            contact_phone="13800138000", description="")
        if verify:
            provider_actions.provider_decide(reviewer, provider, state="verified")
        return provider

    school = register("天河区职业技能培训学校", "ngo", "52440106MJL000001X", "陈老师")
    company = register("爱心粮油有限公司", "company", "91440106MA5C00002A", "周经理")
    volunteers = register("天河区职工志愿者服务队", "volunteers", "", "刘队长")
    register("天河区某慈善基金会", "charity", "53440106MJL000003B", "吴女士", verify=False)
    counts["providers"] = 4
    if provider_user is not None:
        provider_actions.provider_account_link(reviewer, school, provider_user)

    today = timezone.localdate()
    until = today + dt.timedelta(days=60)

    def offer(provider, item, title, capacity, value=None, publish=True, **extra):
        created = offer_actions.offer_create(
            reviewer, provider, item=items[item], title=title, area_org=county, capacity=capacity,
            unit_value=value, valid_from=today - dt.timedelta(days=3), valid_until=until, **extra)
        offer_actions.offer_submit(reviewer, created)
        if publish:
            offer_actions.offer_moderate(reviewer, created, publish=True)
        counts["offers"] += 1
        return created

    offer(school, "training-electrician", "低压电工上岗证培训（12 月班）", 3, Decimal("1800"),
          certificate="特种作业操作证（低压电工）", min_age=18, max_age=55)
    offer(company, "job-fair", "天河区冬季专场招聘会", 20)
    offer(company, "goods-rice-oil", "冬季米面油慰问", 15, Decimal("180"))
    offer(volunteers, "volunteer-home-repair", "水电上门维修", 30, Decimal("50"))
    offer(school, "training-electrician", "电工技能提升班（待审核）", 10, Decimal("1200"), publish=False)

    households = list(Household.objects.filter(org__path__startswith=county.path, state=State.ACTIVE)
                      .select_related("org").order_by("pk")[:24])
    own = Household.objects.restrict(worker, "view").first() if worker is not None else None
    choices = ["training-electrician"] * 3 + ["goods-rice-oil"] * 3 + ["volunteer-home-repair", "job-fair"]
    for household in households:
        head = household.members.filter(is_head=True).first()
        if head is None:
            continue
        actor = worker if own is not None and household.pk == own.pk else reviewer
        item = items["training-electrician"] if actor is worker else items[rng.choice(choices)]
        request_actions.request_submit(actor, household, member=head, item=item,
                                       quantity=2 if item.kind == "volunteer" else 1,
                                       urgency=3 if actor is worker else rng.choice((1, 1, 2, 3)))
        counts["requests"] += 1

    match_round = round_solve(reviewer, round_create(reviewer, county))
    counts["matches"] = Match.objects.filter(round=match_round, state=MatchState.PROPOSED).count()
    # One match taken all the way, the demo worker's if they got a seat: both accept, delivery, sign-off, rating.
    taken = Match.objects.filter(round=match_round, state=MatchState.PROPOSED, offer__provider=school)
    mine = taken.filter(request__household=own).first() if own is not None else None
    chosen = mine or taken.order_by("-unit_weight").first()
    if chosen is not None and provider_user is not None:
        provider_side = provider_user
        chosen = match_actions.match_accept(provider_side, chosen)
        chosen = match_actions.match_accept(worker if mine is not None else caseworker, chosen)
        match_actions.match_deliver(provider_side, chosen, note="已完成培训并发放结业证书")
        request_actions.request_sign_off(reviewer, chosen.request)
        if mine is not None:
            request_actions.feedback_give(worker, chosen.request, rating=5, comment="老师讲得很细，已拿到证书")
        counts["delivered"] = 1
    return counts
