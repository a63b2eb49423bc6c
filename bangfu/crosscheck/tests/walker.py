"""The cross-check app's URLs for the cross-org URL walker (tests/test_url_walker.py): a snapshot loaded by the
grassroots union (its file name is a marker), a check run of its subtree and the finding it raised on w.household
(its archive number is a marker); sources and rules are national reference data."""

from __future__ import annotations

import datetime as dt

from bangfu.accounts.roles import Role
from tests.test_url_walker import LIST, OBJECT, REFERENCE, Route

READ = (Role.CASE_WORKER, Role.REVIEWER, Role.LEADERSHIP)
RESOLVE = (Role.CASE_WORKER, Role.REVIEWER)


def _pk(name):
    return lambda w: {"pk": w.extra[name].pk}


ROUTES = {
    "crosscheck:findings": Route(LIST, roles=READ),
    "crosscheck:finding": Route(OBJECT, _pk("crosscheck_finding"), READ),
    "crosscheck:finding_confirm": Route(OBJECT, _pk("crosscheck_finding"), RESOLVE, Role.REVIEWER),
    "crosscheck:finding_dismiss": Route(OBJECT, _pk("crosscheck_finding"), RESOLVE, Role.REVIEWER),
    "crosscheck:sources": Route(REFERENCE, roles=READ),
    "crosscheck:template": Route(REFERENCE, lambda w: {"code": "dibao_roster"}, READ),
    "crosscheck:snapshots": Route(LIST, roles=READ),
    "crosscheck:snapshot_new": Route(LIST, roles=(Role.CASE_WORKER,), control=None),
    "crosscheck:snapshot": Route(OBJECT, _pk("crosscheck_snapshot"), READ),
    "crosscheck:runs": Route(LIST, roles=READ),
    "crosscheck:run": Route(OBJECT, _pk("crosscheck_run"), READ),
    "crosscheck:unauthorised": Route(LIST, roles=READ, control=None),
    "crosscheck:rules": Route(REFERENCE, roles=(Role.CASE_WORKER, Role.SYSTEM_ADMIN)),
    "crosscheck:rule_edit": Route(REFERENCE, lambda w: {"code": "homes"}, (Role.SYSTEM_ADMIN,)),
    "api:datasource-list": Route(REFERENCE),
    "api:datasource-detail": Route(REFERENCE, lambda w: {"pk": w.extra["crosscheck_source"].pk}),
    "api:dataset-list": Route(LIST, control=None),  # POST only: GET is 405 for everyone
    "api:snapshot-list": Route(LIST, roles=READ),
    "api:snapshot-detail": Route(OBJECT, _pk("crosscheck_snapshot"), READ),
    "api:checkrun-list": Route(LIST, roles=READ, control=None),
    "api:checkrun-detail": Route(OBJECT, _pk("crosscheck_run"), READ),
    "api:finding-list": Route(LIST, roles=READ),
    "api:finding-detail": Route(OBJECT, _pk("crosscheck_finding"), READ),
    "api:finding-confirm": Route(OBJECT, _pk("crosscheck_finding"), RESOLVE, Role.REVIEWER),
    "api:finding-dismiss": Route(OBJECT, _pk("crosscheck_finding"), RESOLVE, Role.REVIEWER),
}


def build(w) -> None:
    from django.core.management import call_command

    from bangfu.core import context
    from bangfu.crosscheck.models import CheckRun, DataSource
    from bangfu.crosscheck.services import run_checks, snapshot_push
    from bangfu.registry.models import Consent

    call_command("load_data_sources", verbosity=0)
    Consent.objects.create(household=w.household, kind="economic_check", signed_on=dt.date(2025, 1, 1),
                           signed_by_name="甲")
    source = DataSource.objects.get(code="vehicles")
    with context.acting(user_id=w.insider.pk, username=w.insider.username, org_id=w.tree.grassroots.pk):
        snapshot = snapshot_push(w.insider, w.tree.grassroots, source, as_of=dt.date(2026, 1, 31), rows=[
            {"身份证号": w.head.identity_number, "车辆类型": "小型汽车", "号牌": "粤A甲车秘9"}])
        snapshot.file_name = "甲车辆秘.csv"
        snapshot.save(update_fields=["file_name"])
        run = run_checks(CheckRun.objects.create(org=w.tree.grassroots, on=dt.date.today(), started_by=w.insider))
    w.extra.update(crosscheck_source=source, crosscheck_snapshot=snapshot, crosscheck_run=run,
                   crosscheck_finding=run.findings.get(household=w.household))
    w.secret("甲车辆秘.csv", "粤A****9")
