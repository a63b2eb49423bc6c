"""The standard statistical reports through HTTP, read back from the .xlsx files.

The scenario (the county 天河区 is the report's union X; its children the enterprise unions 甲 and 乙):

  甲 (grassroots)  9 active archives 低保户 (main cause 3), 5 that exited (out of hardship)
  乙 (sibling)     3 active archives 深度困难 (main cause 6)
  county itself    1 active archive 低保边缘户 (main cause 6)
  锦江 (other province) 2 active archives: never in the county's reports
  ledger, all posted on D: county budgets central living 10,000 and festive 2,000 yuan; 甲 a budget of
  1,000; the county pays g1 living 300, g2 living 200 and festive 100, approves 150 for s1 (not paid);
  甲 pays g3 living 50.

The history written by the triggers is moved back to D = yesterday (01:00 Beijing time); then, today, g1
exits, g2 and s1 are reclassified, a new archive appears at 乙, an exited archive moves to 乙, s1's 150 is
paid, the county reserves 80 for g2 and receives another 500. Reports as of D must not move; reports as of
today show the changes, and agree with plain counts over the households and the ledger.
"""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db.models import Count, F, Sum
from django.test import override_settings
from django.utils import timezone
from openpyxl import load_workbook

from bangfu.accounts.roles import Role
from bangfu.audit.models import AccessLogEntry
from bangfu.funds import ledger
from bangfu.funds.models import Bucket, FundSource, LedgerEntry, TransactionKind
from bangfu.registry.models import Household, State
from bangfu.registry.tests.factories import make_household
from bangfu.stats.models import HouseholdSpan

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KINDS = ("archives", "funds", "exits", "help")
DIBAO, MARGINAL, DEEP, RELATIVE = "A_dibao", "A_marginal", "B_deep", "B_relative"
DIBAO_LABEL, DEEP_LABEL = "Minimum-living household (低保户)", "Deep hardship (深度困难)"
MARGINAL_LABEL, RELATIVE_LABEL = "Marginal household (低保边缘户)", "Relative hardship (相对困难)"


def _money(kind, org, source, year, frm, to, yuan, on, household=None, category="living"):
    ledger.post(kind, ledger.move(frm, to, org_id=org.pk, source_id=source.pk, year=year, category=category,
                                  amount_fen=yuan * 100, household_id=household.pk if household else None),
                org=org, year=year, on=on)


def _pay(org, source, year, household, yuan, on, category="living", *, paid=True):
    _money(TransactionKind.RESERVE, org, source, year, Bucket.AVAILABLE, Bucket.RESERVED, yuan, on, household,
           category)
    if paid:
        _money(TransactionKind.PAY, org, source, year, Bucket.RESERVED, Bucket.PAID, yuan, on, household, category)


class World:
    def __init__(self, tree):
        self.tree = tree
        self.today = timezone.localdate()
        self.day = self.today - dt.timedelta(days=1)  # D
        self.year = self.day.year
        self.source = FundSource.objects.get(code="central")
        t = tree
        self.g = [make_household(t.grassroots, category=DIBAO, main_cause="3") for _ in range(9)]
        self.exited = [make_household(t.grassroots, category=DIBAO, main_cause="3") for _ in range(5)]
        Household.objects.filter(pk__in=[h.pk for h in self.exited]).update(state=State.EXITED,
                                                                            exit_reason="out_of_hardship")
        self.s = [make_household(t.sibling, category=DEEP, main_cause="6") for _ in range(3)]
        make_household(t.county, category=MARGINAL, main_cause="6")
        for _ in range(2):
            make_household(t.other_grassroots, category=DIBAO)
        on, src, y = self.day, self.source, self.year
        # The money of D is recorded on D (a report as of D counts what was on the books by then).
        with time_machine.travel(dt.datetime.combine(on, dt.time(10), tzinfo=ZoneInfo("Asia/Shanghai"))):
            _money(TransactionKind.BUDGET, t.county, src, y, Bucket.SOURCE, Bucket.AVAILABLE, 10_000, on)
            _money(TransactionKind.BUDGET, t.county, src, y, Bucket.SOURCE, Bucket.AVAILABLE, 2_000, on,
                   category="festive")
            _money(TransactionKind.BUDGET, t.grassroots, src, y, Bucket.SOURCE, Bucket.AVAILABLE, 1_000, on)
            _pay(t.county, src, y, self.g[0], 300, on)
            _pay(t.county, src, y, self.g[1], 200, on)
            _pay(t.county, src, y, self.g[1], 100, on, category="festive")
            _pay(t.county, src, y, self.s[0], 150, on, paid=False)
            _pay(t.grassroots, src, y, self.g[2], 50, on)
        # Move the history written so far back to D, 01:00 Beijing time (order and contiguity kept).
        shift = timezone.now() - dt.datetime.combine(self.day, dt.time(1), tzinfo=ZoneInfo("Asia/Shanghai"))
        HouseholdSpan.objects.update(valid_from=F("valid_from") - shift)
        HouseholdSpan.objects.filter(valid_to__isnull=False).update(valid_to=F("valid_to") - shift)

    def change_after_day(self):
        t, src, y = self.tree, self.source, self.year
        Household.objects.filter(pk=self.g[0].pk).update(state=State.EXITED, exit_reason="moved")
        Household.objects.filter(pk=self.g[1].pk).update(category=MARGINAL)
        Household.objects.filter(pk=self.s[0].pk).update(category=RELATIVE)
        make_household(t.sibling, category=DEEP, main_cause="6")
        Household.objects.filter(pk=self.exited[0].pk).update(org=t.sibling)  # an exited archive moves: no new exit
        _money(TransactionKind.PAY, t.county, src, y, Bucket.RESERVED, Bucket.PAID, 150, self.today, self.s[0])
        _pay(t.county, src, y, self.g[1], 80, self.today, paid=False)
        _money(TransactionKind.BUDGET, t.county, src, y, Bucket.SOURCE, Bucket.AVAILABLE, 500, self.today)


@pytest.fixture
def world(tree):
    return World(tree)


@pytest.fixture
def reviewer(tree):
    return tree.user("stats-rev", tree.county, Role.REVIEWER)


def download(client, kind, org="GD-GZ-TH", as_of=None):
    params = {"org": org} | ({"as_of": as_of.isoformat()} if as_of else {})
    response = client.get(f"/stats/reports/{kind}.xlsx", params)
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == XLSX
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def cells(book) -> list:
    """Every value of every sheet except row 2 (it says when the file was generated)."""
    return [(sheet.title, row) for sheet in book.worksheets
            for n, row in enumerate(sheet.iter_rows(values_only=True), start=1) if n != 2]


def table(sheet) -> dict:
    """{first cell of a row: {header: value}} of the rows between the header (row 3) and the notes."""
    header = [c.value for c in sheet[3]]
    rows = {}
    for row in sheet.iter_rows(min_row=4, values_only=True):
        if row[0] is None:
            break
        rows[row[0]] = dict(zip(header, row, strict=True))
    return rows


def test_reports_as_of_a_day_do_not_move(world, signed_in_en, reviewer):
    client = signed_in_en(reviewer)
    before = {kind: download(client, kind, as_of=world.day) for kind in KINDS}
    world.change_after_day()
    again = {kind: download(client, kind, as_of=world.day) for kind in KINDS}
    for kind in KINDS:
        assert cells(again[kind]) == cells(before[kind]), kind
    now = {kind: download(client, kind) for kind in KINDS}  # as of today (the default)

    own, g, s = "天河区总工会 (itself)", "天河甲公司工会", "天河乙公司工会"
    then, today = table(before["archives"].active), table(now["archives"].active)
    assert then[g]["Active archives"] == 9 and then[g][DIBAO_LABEL] == 9 and then[g]["Laid off / unemployed"] == 9
    assert then[s][DEEP_LABEL] == "<5" and then[own][MARGINAL_LABEL] == "<5" and then["Total"]["Active archives"] == 13
    assert today[g]["Active archives"] == 8 and today[g][DIBAO_LABEL] == 7 and today[g][MARGINAL_LABEL] == "<5"
    assert today[s]["Active archives"] == "<5" and today["Total"][DIBAO_LABEL] == 7
    assert "锦江社区工会" not in today and len(today) == 4

    then, today = table(before["exits"].active), table(now["exits"].active)
    moved = "Transferred or moved away"
    assert then[g]["Archives exited"] == 5 and then[g][moved] == 0 and then["Total"]["Archives exited"] == 5
    assert today[g]["Archives exited"] == 6 and today[g][moved] == "<5" and today[s]["Archives exited"] == 0

    then, today = table(before["funds"].active), table(now["funds"].active)
    assert then[own]["Budgets received"] == 12_000 and then[own]["Paid"] == 600
    assert then[own]["Approved, not yet paid"] == 150 and then[g]["Paid"] == 50 and then[s]["Paid"] == 0
    assert today[own]["Budgets received"] == 12_500 and today[own]["Paid"] == 750
    assert today[own]["Approved, not yet paid"] == 80 and today["Total"]["Paid"] == 800

    then, today = table(before["help"].active), table(now["help"].active)
    assert set(then) == {world.g[0].archive_number, world.g[1].archive_number, world.g[2].archive_number, "Total"}
    g2 = then[world.g[1].archive_number]
    assert g2["Category"] == DIBAO_LABEL and g2["Union"] == g and g2["Payments"] == 2 and g2["Total paid"] == 300
    assert g2["Head of household"] == "张*"
    assert today[world.g[1].archive_number]["Category"] == MARGINAL_LABEL
    assert today[world.s[0].archive_number]["Category"] == RELATIVE_LABEL
    assert today["Total"]["Total paid"] == 800 and then["Total"]["Total paid"] == 650


def test_numbers_equal_plain_counts(world, signed_in_en, reviewer):
    world.change_after_day()
    client = signed_in_en(reviewer)
    county = world.tree.county
    archives = table(download(client, "archives").active)
    active = Household.objects.filter(org__path__startswith=county.path, state=State.ACTIVE)
    assert archives["Total"]["Active archives"] == active.count()
    by_category = dict(active.values_list("category").annotate(n=Count("pk")).order_by())
    assert archives["Total"][DIBAO_LABEL] == by_category[DIBAO] == 7
    child = world.tree.grassroots
    assert archives["天河甲公司工会"]["Active archives"] == active.filter(org__path__startswith=child.path).count()

    entries = LedgerEntry.objects.filter(org__path__startswith=county.path, year=world.today.year,
                                         posted_on__lte=world.today)
    funds = table(download(client, "funds").active)
    paid = entries.filter(bucket=Bucket.PAID).aggregate(s=Sum("amount_fen"))["s"]
    assert funds["Total"]["Paid"] * 100 == paid
    assert -funds["Total"]["Budgets received"] * 100 == entries.filter(bucket=Bucket.SOURCE).aggregate(
        s=Sum("amount_fen"))["s"]
    rows = table(download(client, "help").active)
    per_household = entries.filter(bucket=Bucket.PAID).values("household__archive_number").annotate(
        s=Sum("amount_fen"), n=Count("pk")).order_by()
    assert len(rows) - 1 == len(per_household) == 4
    for row in per_household:
        line = rows[row["household__archive_number"]]
        assert line["Total paid"] * 100 == row["s"] and line["Payments"] == row["n"]


def test_small_counts_are_suppressed(world, signed_in_en, reviewer):
    client = signed_in_en(reviewer)
    sheet = download(client, "archives", as_of=world.day).active
    rows = table(sheet)
    assert rows["天河乙公司工会"][DEEP_LABEL] == "<5"  # 3
    assert rows["天河甲公司工会"][DIBAO_LABEL] == 9 and rows["Total"][DIBAO_LABEL] == 9
    assert rows["天河乙公司工会"][RELATIVE_LABEL] == 0  # 0 discloses nothing
    notes = [r[0] for r in sheet.iter_rows(min_row=sheet.max_row - 4, values_only=True) if r[0]]
    assert any('"<5"' in note for note in notes)
    world.change_after_day()
    assert table(download(client, "archives").active)["天河甲公司工会"][DIBAO_LABEL] == 7
    with override_settings(BANGFU_STATS_MIN_CELL=3):
        rows = table(download(client, "archives", as_of=world.day).active)
        assert rows["天河乙公司工会"][DEEP_LABEL] == 3 and rows["天河区总工会 (itself)"][MARGINAL_LABEL] == "<3"
    with override_settings(BANGFU_STATS_MIN_CELL=10):
        rows = table(download(client, "archives", as_of=world.day).active)
        assert rows["天河甲公司工会"][DIBAO_LABEL] == "<10" and rows["Total"]["Active archives"] == 13
    help_rows = table(download(client, "help", as_of=world.day).active)  # a list of help: nothing suppressed
    assert help_rows["Total"]["Payments"] == 4


def test_excel_layout_in_chinese(world, signed_in, reviewer):
    client = signed_in(reviewer)
    book = download(client, "funds", as_of=world.day)
    assert len(book.sheetnames) == 3
    sheet = book.worksheets[0]
    assert "天河区总工会" in sheet["A1"].value and sheet["A1"].font.bold
    assert world.day.isoformat() in sheet["A2"].value and "生成" in sheet["A2"].value
    assert sheet.freeze_panes == "A4" and all(c.font.bold for c in sheet[3] if c.value)
    assert sheet["A4"].value == "天河区总工会（本级）" and sheet.column_dimensions["A"].width == 30
    paid = sheet["C4"]
    assert paid.data_type == "n" and paid.number_format == "#,##0.00" and float(paid.value) == 600
    total = sheet["A7"]
    assert total.value == "合计" and total.font.bold and float(sheet["C7"].value) == 650
    archives = download(client, "archives", as_of=world.day).active
    small = archives["B6"]  # 乙: 3 active archives
    assert small.value == "<5" and small.data_type == "s" and small.alignment.horizontal == "right"
    assert archives["B5"].value == 9 and archives["B5"].data_type == "n"
    help_sheet = download(client, "help", as_of=world.day).active
    text = " ".join(str(v) for row in help_sheet.iter_rows(values_only=True) for v in row if v)
    assert "张*" in text and "张三" not in text


def test_downloads_are_audited_and_the_page_redirects(world, signed_in, reviewer):
    client = signed_in(reviewer)
    page = client.get("/stats/reports/")
    assert page.status_code == 200 and b'name="as_of"' in page.content and "天河乙公司工会" in page.content.decode()
    response = client.get("/stats/reports/", {"kind": "exits", "org": "GD-GZ-TH-001", "as_of": world.day})
    assert response.status_code == 302
    assert response["Location"] == f"/stats/reports/exits.xlsx?org=GD-GZ-TH-001&as_of={world.day.isoformat()}"
    download(client, "exits", org="GD-GZ-TH-001", as_of=world.day)
    entry = AccessLogEntry.objects.filter(action="export", object_type="stats.report_exits").latest("pk")
    assert entry.user_id == reviewer.pk and entry.object_id == str(world.tree.grassroots.pk)
    assert entry.detail["as_of"] == world.day.isoformat() and entry.detail["min_cell"] == 5


def test_bad_input(world, signed_in_en, reviewer):
    client = signed_in_en(reviewer)
    assert client.get("/stats/reports/nonsense.xlsx").status_code == 404
    tomorrow = (world.today + dt.timedelta(days=1)).isoformat()
    for bad in ("2026-13-40", "yesterday", tomorrow, "1990-01-01"):
        response = client.get("/stats/reports/archives.xlsx", {"as_of": bad})
        assert response.status_code == 400 and b'data-testid="as-of-error"' in response.content, bad
    response = client.get("/stats/reports/", {"kind": "archives", "as_of": tomorrow})
    assert response.status_code == 200 and b"cannot be in the future" in response.content
    assert not AccessLogEntry.objects.filter(object_type__startswith="stats.report_").exists()


def test_scope_and_permissions(world, signed_in, reviewer, grassroots_cadre, monkeypatch):
    client = signed_in(reviewer)
    for code in ("SC-CD-JJ-001", "GD-GZ", "NOPE"):  # another union's, an ancestor, none at all
        assert client.get("/stats/reports/archives.xlsx", {"org": code}).status_code == 404
        assert client.get("/stats/reports/", {"org": code}).status_code == 404
    cadre = signed_in(grassroots_cadre)  # may see statistics, not export them
    assert cadre.get("/stats/reports/").status_code == 404
    assert cadre.get("/stats/reports/archives.xlsx").status_code == 404
    # Exporting without the ledger permission: the archive reports only.
    from bangfu.accounts import models as accounts

    original = accounts.permissions_for
    monkeypatch.setattr(accounts, "permissions_for",
                        lambda roles: original(roles) - {"funds.view_ledgerentry"})
    assert client.get("/stats/reports/help.xlsx").status_code == 404
    assert client.get("/stats/reports/funds.xlsx").status_code == 404
    assert client.get("/stats/reports/exits.xlsx").status_code == 200
    assert b'value="help"' not in client.get("/stats/reports/").content



def test_money_recorded_after_the_day_is_not_in_the_day(world, signed_in_en, reviewer):
    """A bank result imported today with the bank's date of yesterday: yesterday's report, run today, still shows
    what the books said yesterday (the payment approved, not yet paid)."""
    client = signed_in_en(reviewer)
    before = cells(download(client, "funds", as_of=world.day))
    t = world.tree
    _money(TransactionKind.PAY, t.county, world.source, world.year, Bucket.RESERVED, Bucket.PAID, 150, world.day,
           world.s[0])  # dated D, recorded today
    assert cells(download(client, "funds", as_of=world.day)) == before
    assert cells(download(client, "funds", as_of=world.today)) != before
