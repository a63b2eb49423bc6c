"""The statistics' URLs for the cross-org URL walker (tests/test_url_walker.py): asking for the grassroots union's
figures (`?org=<its code>`) as a user of the sibling union is a 404, for the pages and the API alike."""

from __future__ import annotations

from bangfu.accounts.roles import Role
from tests.test_url_walker import OBJECT, Route

STATS_ROLES = (Role.CASE_WORKER, Role.REVIEWER, Role.LEADERSHIP, Role.COUNSELLOR)
EXPORT_ROLES = (Role.REVIEWER, Role.FUND_MANAGER, Role.LEADERSHIP)
GRASSROOTS = {"org": "GD-GZ-TH-001"}  # tests.factories.TreeFactory's grassroots union

ROUTES = {
    "stats:dashboard": Route(OBJECT, None, STATS_ROLES, query=GRASSROOTS),
    "stats:compare": Route(OBJECT, None, STATS_ROLES, query=GRASSROOTS),
    "api:stats-dashboard-list": Route(OBJECT, None, STATS_ROLES, query=GRASSROOTS),
    "api:stats-compare-list": Route(OBJECT, None, STATS_ROLES, query=GRASSROOTS),
    "stats:reports": Route(OBJECT, None, EXPORT_ROLES, control=Role.REVIEWER, query=GRASSROOTS),
    "stats:report_download": Route(OBJECT, lambda w: {"kind": "archives"}, EXPORT_ROLES, control=Role.REVIEWER,
                                   query=GRASSROOTS),
}


def build(w) -> None:
    """Nothing to add: the walker's world already has households in the grassroots union."""
