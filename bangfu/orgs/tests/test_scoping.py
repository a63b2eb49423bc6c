import datetime as dt
from decimal import Decimal

import pytest

from bangfu.orgs.models import LocalStandard, Org, living_line


def test_staff_see_their_own_subtree_only(tree, county_reviewer, outsider):
    visible = set(Org.objects.restrict(county_reviewer, "view").values_list("code", flat=True))
    assert visible == {"GD-GZ-TH", "GD-GZ-TH-001", "GD-GZ-TH-002"}
    assert set(Org.objects.restrict(outsider, "view").values_list("code", flat=True)) == {"GD-GZ-TH-002"}


def test_sibling_org_detail_is_404(tree, outsider, login):
    client = login(outsider)
    assert client.get(f"/orgs/{tree.grassroots.pk}/").status_code == 404
    assert client.get(f"/orgs/{tree.sibling.pk}/").status_code == 200


def test_role_without_permission_sees_nothing(tree, worker_user):
    assert not Org.objects.restrict(worker_user, "view").exists()


@pytest.mark.django_db
def test_line_in_force_prefers_county_then_city_then_province_and_latest_date(tree):
    LocalStandard.objects.create(
        division_id="440000",
        kind="living_line",
        amount=Decimal("800"),
        effective_from=dt.date(2024, 1, 1),
        source="test",
        illustrative=True,
    )
    LocalStandard.objects.create(
        division_id="440100",
        kind="living_line",
        amount=Decimal("1200"),
        effective_from=dt.date(2024, 7, 1),
        source="test",
        illustrative=True,
    )
    LocalStandard.objects.create(
        division_id="440100",
        kind="living_line",
        amount=Decimal("1250"),
        effective_from=dt.date(2025, 7, 1),
        source="test",
        illustrative=True,
    )
    assert living_line("440106", dt.date(2024, 3, 1)).amount == Decimal("800")  # only the province had one
    assert living_line("440106", dt.date(2025, 6, 30)).amount == Decimal("1200")
    assert living_line("440106", dt.date(2025, 7, 1)).amount == Decimal("1250")
    assert living_line("510104", dt.date(2025, 7, 1)) is None


def test_an_assistance_centre_may_sit_under_its_county_federation_but_not_a_grassroots_union(tree):
    from django.core.exceptions import ValidationError

    centre = Org(
        code="C1",
        name="帮扶中心",
        level=Org.Level.COUNTY,
        kind=Org.Kind.ASSISTANCE_CENTRE,
        division=tree.county.division,
    )
    centre._pending_parent = tree.county
    centre.clean()  # no error
    federation = Org(code="C2", name="另一个县总", level=Org.Level.COUNTY, division=tree.county.division)
    federation._pending_parent = tree.county
    with pytest.raises(ValidationError):
        federation.clean()
    missing_level = Org(code="C3", name="无级别", division=tree.county.division)
    missing_level._pending_parent = tree.county
    with pytest.raises(ValidationError):
        missing_level.clean()
