"""The daily ledger check finds a cache that drifted from the append-only entries."""

from __future__ import annotations

from bangfu.core import scheduler
from bangfu.funds.models import Balance, Bucket
from bangfu.funds.tasks import check
from bangfu.funds.tests.factories import fund


def test_verify_ledger_task_is_scheduled_and_reports_drift(tree, city_fund_manager):
    assert "bangfu.funds.tasks.verify_ledger" in {path for _cron, path in scheduler.SCHEDULE}
    fund(tree.city, 1000, city_fund_manager)
    assert check()["ok"] is True
    Balance.objects.filter(org=tree.city, bucket=Bucket.AVAILABLE).update(amount_fen=1)  # the cache, not the ledger
    result = check()
    assert result["ok"] is False and result["problems"] == 1
    assert "ledger 100000, cached 1" in result["first"][0]
