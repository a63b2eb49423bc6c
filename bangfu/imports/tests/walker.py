"""The imports app's URLs for the cross-org URL walker: a job of the grassroots union."""

from __future__ import annotations

from bangfu.accounts.roles import Role
from tests.test_url_walker import LIST, OBJECT, Route

ROLES = (Role.CASE_WORKER, Role.REVIEWER)


def _pk(w):
    return {"pk": w.extra["import_job"].pk}


ROUTES = {
    "imports:upload": Route(LIST, roles=ROLES),
    "imports:list": Route(LIST, roles=ROLES),
    "imports:template": Route(LIST, kwargs=lambda w: {"fmt": "csv"}, roles=ROLES, control=None),
    "imports:job": Route(OBJECT, _pk, ROLES),
    "imports:status": Route(OBJECT, _pk, ROLES),
    "imports:cancel": Route(OBJECT, _pk, ROLES),
    "imports:report": Route(OBJECT, _pk, ROLES),
    "imports:rerun": Route(OBJECT, _pk, ROLES),
    # API (bangfu/imports/api.py)
    "api:importjob-list": Route(LIST, roles=ROLES),
    "api:importjob-detail": Route(OBJECT, _pk, ROLES),
    "api:importjob-report": Route(OBJECT, _pk, ROLES),
    "api:importjob-cancel": Route(OBJECT, _pk, ROLES),
    "api:importjob-rerun": Route(OBJECT, _pk, ROLES),
}


def build(w) -> None:
    from bangfu.imports.models import ImportJob

    w.extra["import_job"] = ImportJob.objects.create(
        org=w.tree.grassroots, created_by=w.insider, file="imports/none.upload", original_name="甲导入秘.csv",
        kind="csv", state=ImportJob.State.SUCCEEDED, report_file="imports/none.xlsx",
    )
    w.secret("甲导入秘")
    from pathlib import Path

    from django.conf import settings

    from bangfu.imports import report

    path = Path(settings.MEDIA_ROOT) / "imports/none.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(report.build(w.extra["import_job"]))
