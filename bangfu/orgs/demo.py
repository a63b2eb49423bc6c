"""Demo data: a small but realistic union tree on real GB/T 2260 codes, local standards and users.

Everything here is sample data for `manage.py seed_demo`. The tree has one national federation,
two provinces, two cities each, two counties (districts) per city — each with its county federation
and an assistance centre (帮扶中心) — and five grassroots unions per county. Union, company and
person names are drawn from small pools with a seeded random generator, so the same seed always
gives the same tree and the same people; the company and person names are invented.

The living lines and minimum wages are ILLUSTRATIVE demo values, not official figures: every row
says so in its source and carries `illustrative=True`.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction

from bangfu.accounts.models import User, UserRole, validate_role_combination
from bangfu.accounts.roles import Role
from bangfu.orgs.models import Division, LocalStandard, Org

# One memorable password that satisfies the password policy (length, three classes, not common).
# Demo databases only: seed_demo refuses to run with production settings.
DEMO_PASSWORD = "Bangfu-Demo-2026"  # noqa: S105
DEMO_SOURCE = "demo value, illustrative — not an official figure"
STANDARD_DATES = (dt.date(2024, 7, 1), dt.date(2025, 7, 1))

NATIONAL = ("ACFTU", "中华全国总工会", "110000")

# {province code: (division, {city code: (division, {county code: (division, streets)})})}. Street names
# are real sub-districts (街道) of each county; they only name the demo community unions.
PROVINCES = {
    "GD": ("440000", {
        "GZ": ("440100", {
            "TH": ("440106", "石牌街道 林和街道 沙河街道 五山街道 员村街道 车陂街道"),
            "HZ": ("440105", "赤岗街道 新港街道 昌岗街道 滨江街道 素社街道 琶洲街道"),
        }),
        "SZ": ("440300", {
            "NS": ("440305", "南头街道 南山街道 蛇口街道 招商街道 粤海街道 西丽街道"),
            "FT": ("440304", "园岭街道 南园街道 福田街道 沙头街道 梅林街道 莲花街道"),
        }),
    }),
    "SC": ("510000", {
        "CD": ("510100", {
            "JJ": ("510104", "春熙路街道 书院街街道 合江亭街道 牛市口街道 双桂路街道 莲新街道"),
            "WH": ("510107", "浆洗街街道 望江路街道 玉林街道 跳伞塔街道 簇桥街道 红牌楼街道"),
        }),
        "MY": ("510700", {
            "FC": ("510703", "城厢街道 工区街道 朝阳街道 城郊街道 五里堆街道"),
            "YX": ("510704", "游仙街道 涪江街道 富乐街道 春雷街道"),
        }),
    }),
}  # fmt: skip

# Illustrative (living line, minimum wage) per city, for 2024-07-01 and 2025-07-01.
CITY_STANDARDS = {
    "440100": ((Decimal("1200"), Decimal("2300")), (Decimal("1250"), Decimal("2500"))),
    "440300": ((Decimal("1365"), Decimal("2360")), (Decimal("1420"), Decimal("2520"))),
    "510100": ((Decimal("850"), Decimal("2100")), (Decimal("900"), Decimal("2200"))),
    "510700": ((Decimal("720"), Decimal("1970")), (Decimal("760"), Decimal("2050"))),
}

ENTERPRISES_PER_COUNTY = 3
COMMUNITIES_PER_COUNTY = 2

# Invented company names: a brand and an industry (any match with a real company is a coincidence).
BRANDS = (
    "华盛 恒达 新源 嘉禾 宏图 立信 锦程 远航 众诚 鑫达 泰和 永安 博远 启明 瑞丰 汇通 "
    "天成 金鹏 联创 信达 中和 德润 祥和 宏昌 盛世 海纳 恒信 南粤 蓉发 兴业 明辉 顺昌"
).split()
INDUSTRIES = (
    "电子科技有限公司 物流有限公司 服装有限公司 精密机械有限公司 建筑工程有限公司 餐饮管理有限公司 "
    "物业服务有限公司 汽车零部件有限公司 食品有限公司 印刷包装有限公司 家具制造有限公司 环卫服务有限公司 "
    "快递服务有限公司 医药连锁有限公司"
).split()
COMMUNITIES = "东方 南苑 翠园 华景 锦绣 和平 新村 滨江 育才 光明 文华 金桂".split()
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾田董袁潘蒋蔡余杜叶程苏魏吕丁沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国文辉玲红志宏海燕晓春丹云鹏飞佳慧"


@dataclass(frozen=True)
class Login:
    username: str
    roles: tuple[str, ...]
    org: str


def _short(division_name: str) -> str:
    """广州市 → 广州, 天河区 → 天河 (for company names, which carry the place without its suffix)."""
    return division_name[:-1] if len(division_name) > 2 and division_name[-1] in "省市区县" else division_name


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _divisions() -> dict[str, Division]:
    """Every division the demo uses, checked against the loaded GB/T 2260 table."""
    codes = {NATIONAL[2]}
    for province_div, cities in PROVINCES.values():
        codes.add(province_div)
        for city_div, counties in cities.values():
            codes.add(city_div)
            codes.update(county_div for county_div, _ in counties.values())
    found = {d.code: d for d in Division.objects.filter(code__in=codes, is_current=True)}
    missing = sorted(codes - set(found))
    if missing:
        raise ValidationError(f"Divisions {', '.join(missing)} are not loaded: run `manage.py load_divisions` first.")
    for code, division in found.items():
        if division.level == Division.Level.COUNTY and division.parent_id not in codes:
            raise ValidationError(f"Division {code} does not belong to a demo city.")
    return found


class _Builder:
    """Builds the tree top-down; treebeard assigns the paths (children are added in code order)."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.divisions = _divisions()
        self.brands = self.rng.sample(BRANDS, len(BRANDS))
        self.orgs: dict[str, Org] = {}

    def add(self, parent: Org | None, code: str, name: str, level: int, division: str, **fields) -> Org:
        instance = Org(code=code, name=name, level=level, division=self.divisions[division], **fields)
        if parent is None:
            org = Org.objects.add_root(instance=instance)
        else:
            org = Org.objects.add_child(parent, instance=instance)
        self.orgs[code] = org
        return org

    def build_tree(self) -> None:
        code, name, division = NATIONAL
        national = self.add(None, code, name, Org.Level.NATIONAL, division)
        for p_key, (p_div, cities) in PROVINCES.items():
            province = self.add(national, p_key, f"{self.divisions[p_div].name}总工会", Org.Level.PROVINCE, p_div)
            for c_key, (c_div, counties) in cities.items():
                c_code = f"{p_key}-{c_key}"
                city = self.add(province, c_code, f"{self.divisions[c_div].name}总工会", Org.Level.CITY, c_div)
                for k_key, (k_div, streets) in counties.items():
                    self.build_county(city, f"{c_code}-{k_key}", k_div, c_div, streets)

    def build_county(self, city: Org, code: str, k_div: str, c_div: str, streets: str) -> None:
        county_name = self.divisions[k_div].name
        county = self.add(city, code, f"{county_name}总工会", Org.Level.COUNTY, k_div)
        # The assistance centre is a county-level body run by the county federation: it sits under
        # the county federation so the county's staff see it in their subtree.
        self.add(
            county,
            f"{code}-BF",
            f"{county_name}困难职工帮扶中心",
            Org.Level.COUNTY,
            k_div,
            kind=Org.Kind.ASSISTANCE_CENTRE,
            short_name=f"{county_name}帮扶中心",
        )
        place = _short(self.divisions[c_div].name)
        for i in range(1, ENTERPRISES_PER_COUNTY + 1):
            brand = self.brands.pop()
            industry = self.rng.choice(INDUSTRIES)
            self.add(
                county,
                f"{code}-E{i:02d}",
                f"{place}{brand}{industry}工会委员会",
                Org.Level.GRASSROOTS,
                k_div,
                kind=Org.Kind.ENTERPRISE,
                short_name=f"{brand}工会",
                member_count=self.rng.randrange(60, 2400),
            )
        chosen = self.rng.sample(streets.split(), COMMUNITIES_PER_COUNTY)
        for i, street in enumerate(chosen, start=1):
            # The first is the sub-district's own union, the second a community union inside it.
            name = f"{county_name}{street}总工会" if i == 1 else f"{street}{self.rng.choice(COMMUNITIES)}社区工会联合会"
            self.add(
                county,
                f"{code}-S{i:02d}",
                name,
                Org.Level.GRASSROOTS,
                k_div,
                kind=Org.Kind.COMMUNITY,
                member_count=self.rng.randrange(300, 6000),
            )

    def build_users(self) -> list[Login]:
        people = personas()
        password = make_password(DEMO_PASSWORD)  # hashed once: hashing per user would dominate the run time
        users = []
        for username, org_code, roles, kind in people:
            validate_role_combination(set(roles))
            users.append(
                User(
                    username=username,
                    password=password,
                    org=self.orgs[org_code],
                    kind=kind,
                    full_name=_person(self.rng),
                    must_change_password=False,
                )
            )
        User.objects.bulk_create(users)
        by_name = dict(User.objects.filter(username__in=[p[0] for p in people]).values_list("username", "pk"))
        UserRole.objects.bulk_create(
            UserRole(user_id=by_name[username], role=role) for username, _, roles, _ in people for role in roles
        )
        return [Login(username, roles, self.orgs[org_code].name) for username, org_code, roles, _ in people]


def personas() -> list[tuple[str, str, tuple[str, ...], str]]:
    """(username, org code, roles, kind): every role at the level where it works.

    Usernames are fixed (not seeded), so the printed logins are the same for every seed.
    """
    staff = User.Kind.STAFF
    people = [
        ("sysadmin", NATIONAL[0], (Role.SYSTEM_ADMIN,), staff),
        ("secadmin", NATIONAL[0], (Role.SECURITY_ADMIN,), staff),
        ("auditor", NATIONAL[0], (Role.AUDIT_ADMIN,), staff),
        ("acftu_leader", NATIONAL[0], (Role.LEADERSHIP,), staff),
    ]
    for p_key, (_, cities) in PROVINCES.items():
        people.append((f"{p_key.lower()}_leader", p_key, (Role.LEADERSHIP,), staff))
        for c_key, (_, counties) in cities.items():
            people.append((f"{c_key.lower()}_fund", f"{p_key}-{c_key}", (Role.FUND_MANAGER,), staff))
            for k_key in counties:
                county = f"{p_key}-{c_key}-{k_key}"
                people.append((f"{k_key.lower()}_reviewer", county, (Role.REVIEWER,), staff))
                people.append((f"{k_key.lower()}_caseworker", f"{county}-E01", (Role.CASE_WORKER,), staff))
    people += [
        ("th_counsellor", "GD-GZ-TH", (Role.COUNSELLOR,), staff),
        ("jj_counsellor", "SC-CD-JJ", (Role.COUNSELLOR,), staff),
        ("th_helper", "GD-GZ-TH-E01", (Role.HELPER,), staff),
        ("th_provider", "GD-GZ-TH", (Role.PROVIDER,), User.Kind.PROVIDER),
        ("th_worker", "GD-GZ-TH-E01", (Role.WORKER,), User.Kind.WORKER),
    ]
    return people


def seed_standards() -> int:
    """Illustrative living lines and minimum wages per demo city; rows that already exist are kept."""
    rows = []
    for city, values in CITY_STANDARDS.items():
        for date, (line, wage) in zip(STANDARD_DATES, values, strict=True):
            for kind, amount in ((LocalStandard.Kind.LIVING_LINE, line), (LocalStandard.Kind.MINIMUM_WAGE, wage)):
                rows.append(
                    LocalStandard(
                        division_id=city,
                        kind=kind,
                        amount=amount,
                        effective_from=date,
                        source=DEMO_SOURCE,
                        illustrative=True,
                    )
                )
    # ignore_conflicts: never overwrite a value an administrator entered for the same date.
    created = LocalStandard.objects.bulk_create(rows, ignore_conflicts=True)
    return len(created)


@transaction.atomic
def seed_demo(seed: int, households: int = 0) -> list[Login]:
    """Build the demo tree, standards and users into an empty union tree, then `households` demo
    archives (bangfu.registry.demo), the demo money over them (bangfu.funds.demo) and the help they get
    (bangfu.worklist.demo). All or nothing."""
    if Org.objects.exists():
        raise ValidationError("The union tree is not empty; the demo data is only loaded into an empty tree.")
    builder = _Builder(seed)
    builder.build_tree()
    seed_standards()
    logins = builder.build_users()
    if households:
        from bangfu.registry.demo import seed_households

        seed_households(seed, households)
        from bangfu.funds.demo import seed_funds

        seed_funds(seed)  # budgets, allocations, payments and bank batches over these archives
        from bangfu.worklist.demo import seed_help

        seed_help(seed)  # helpers, visits, plans and measures, rights cases and care over these archives
        from bangfu.monitoring.demo import seed_monitoring

        seed_monitoring(seed)  # review cycles, a spot check, an exit suggestion and a relapse watch
        from bangfu.services.demo import seed_services

        seed_services(seed)  # menu, providers, offers, requests, a solved round and one match delivered
        from bangfu.stats.demo import backdate_history

        backdate_history()  # the archives' history from their own dates, so trends show months, not one day
    return logins


def demo_logins() -> list[Login]:
    """The demo users that exist in this database (for `seed_demo --if-empty` on a seeded database)."""
    names = [p[0] for p in personas()]
    users = User.objects.filter(username__in=names).select_related("org").prefetch_related("roles")
    order = {name: i for i, name in enumerate(names)}
    return [
        Login(u.username, tuple(r.role for r in u.roles.all()), u.org.name if u.org else "")
        for u in sorted(users, key=lambda u: order[u.username])
    ]
