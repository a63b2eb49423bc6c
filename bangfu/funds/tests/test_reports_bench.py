"""Smoke run of the fund report benchmark (bench/funds_report.py) at a tiny size: its builder writes a
balanced ledger with its caches, and the report and the plain aggregation of the entries agree figure by
figure. No timing is asserted (speed is measured by the benchmark itself, at full size)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from bangfu.funds import ledger
from bangfu.funds.models import LedgerEntry

BENCH = Path(__file__).resolve().parents[3] / "bench" / "funds_report.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("funds_report_bench", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_builder_and_report_agree_with_the_baseline(db, bench, tree):
    args = bench.parse_args(["--rows", "2000", "--cities", "2", "--counties", "1", "--grassroots", "2",
                             "--households", "5", "--reps", "1", "--baseline-reps", "1", "--year", "2025"])
    info = bench.build(args)
    assert 1900 <= info["entries"] <= 2000 and LedgerEntry.objects.count() == info["entries"]
    assert info["outcomes"]["pay"] > 0 and info["outcomes"]["fail"] + info["outcomes"]["release"] > 0
    assert ledger.verify() == []  # balanced transactions; Balance and MonthlyTotal equal the entries
    results = bench.measure(args, info, quiet=True)  # asserts the report equals the baseline, figure by figure
    report = results["province, whole year report"]
    total = report.total
    assert total.paid > 0 and total.returned > 0 and total.budget > 0 and total.balances
    assert [r.org.path for r in report.children] == sorted(r.org.path for r in report.children)
    assert len(report.children) == 2
