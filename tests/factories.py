"""Builders for test data: a small but real union tree on real division codes."""

from __future__ import annotations

from dataclasses import dataclass

from bangfu.accounts.models import User, UserRole
from bangfu.orgs.models import Division, Org


@dataclass
class Tree:
    national: Org
    province: Org
    city: Org
    county: Org
    grassroots: Org
    sibling: Org
    other_province: Org
    other_grassroots: Org

    def user(self, username, org, *roles, kind="staff", password="Test-pass-2026!"):
        user = User.objects.create_user(
            username=username, password=password, org=org, kind=kind, full_name=username,
            must_change_password=False,
        )
        for role in roles:
            UserRole.objects.create(user=user, role=role)
        return user


class TreeFactory:
    """national → 广东省 → 广州市 → 天河区 → two enterprise unions; plus 四川省 → … → one union."""

    def build(self) -> Tree:
        def add(parent, **fields):
            return Org.objects.add_child(parent, instance=Org(**fields))

        divisions = Division.objects.in_bulk(["110000", "440000", "440100", "440106", "510000", "510100", "510104"])

        def div(code):
            return divisions[code]

        national = Org.objects.add_root(
            instance=Org(code="ACFTU", name="中华全国总工会", level=Org.Level.NATIONAL, division=div("110000"))
        )
        province = add(national, code="GD", name="广东省总工会", level=Org.Level.PROVINCE, division=div("440000"))
        city = add(province, code="GD-GZ", name="广州市总工会", level=Org.Level.CITY, division=div("440100"))
        county = add(city, code="GD-GZ-TH", name="天河区总工会", level=Org.Level.COUNTY, division=div("440106"))
        grassroots = add(county,
            code="GD-GZ-TH-001", name="天河甲公司工会", level=Org.Level.GRASSROOTS, kind=Org.Kind.ENTERPRISE,
            division=div("440106"),
        )
        sibling = add(county,
            code="GD-GZ-TH-002", name="天河乙公司工会", level=Org.Level.GRASSROOTS, kind=Org.Kind.ENTERPRISE,
            division=div("440106"),
        )
        other_province = add(national,
            code="SC", name="四川省总工会", level=Org.Level.PROVINCE, division=div("510000")
        )
        other_city = add(other_province,
            code="SC-CD", name="成都市总工会", level=Org.Level.CITY, division=div("510100")
        )
        other_county = add(other_city,
            code="SC-CD-JJ", name="锦江区总工会", level=Org.Level.COUNTY, division=div("510104")
        )
        other_grassroots = add(other_county,
            code="SC-CD-JJ-001", name="锦江社区工会", level=Org.Level.GRASSROOTS, kind=Org.Kind.COMMUNITY,
            division=div("510104"),
        )
        # Fresh from the database (adding children changed the parents' rows), in one query.
        nodes = {
            "national": national, "province": province, "city": city, "county": county, "grassroots": grassroots,
            "sibling": sibling, "other_province": other_province, "other_grassroots": other_grassroots,
        }
        fresh = Org.objects.in_bulk([node.pk for node in nodes.values()])
        return Tree(**{name: fresh[node.pk] for name, node in nodes.items()})
