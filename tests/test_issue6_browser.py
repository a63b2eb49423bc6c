"""Issue 6 ("Bulk import and cross-checking with government data"), its "Done means" end to end in a real browser,
in simplified Chinese (the default UI language).

Only what has no page is made beforehand: the union tree and a province officer (case worker + reviewer, so
two-factor authentication: a confirmed TOTP device, whose code the test types like the officer would).

Then, through the pages, as the province officer:
1. sign in with the password and the authenticator's code;
2. download the import template, build a real-shaped workbook from its headers (a merged title row above the
   Chinese headers; six households, fifteen people under three unions of the province; full-width digits, a
   date written 2020年3月, an amount "1,200元") with three deliberate errors (a wrong check character, an ID that
   Excel turned into 1.1E+17, an unknown health value); upload it all-or-nothing; the job page's progress bar
   runs while the background worker imports it; the job is refused; the per-row report (Excel) names exactly
   those three cells; the corrected file imports (six households in the database), and importing it again
   creates and changes nothing;
3. record the economic-check authorisation of two imported households on their consent pages; the two are then
   taken through the procedure to "active" with the registry's lifecycle services (a database shortcut: the
   lifecycle has its own browser test, bangfu/registry/tests/test_browser_lifecycle.py);
4. load a civil-affairs 低保 roster (plain ID numbers: two imported people and 300 strangers): two rows kept,
   300 discarded; run the cross-checks; open the findings queue and a finding's evidence (source, snapshot
   version, masked ID; the full ID never on the page); confirm one (the household is re-classified, and the
   confirmation is on its timeline) and dismiss the other with a reason.

Background work runs on the real task backend (django-tasks' database backend): the test plays the worker by
running `manage.py db_worker --batch` between the pages, and holds the job page's status polls until it is done
(a live server on in-memory SQLite shares one connection between threads).

Screenshots go to $BANGFU_SHOTS_DIR (default test-artifacts/screenshots) as issue6-*.png.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import signal
import unicodedata
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone, translation
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from openpyxl import Workbook, load_workbook

from bangfu.accounts.roles import Role
from bangfu.core.identity import synthetic_resident_id
from bangfu.crosscheck.models import CheckRun, DataSource, Finding, Snapshot
from bangfu.imports.models import ImportedHousehold, ImportJob
from bangfu.orgs.models import LocalStandard
from bangfu.registry.models import Category, Household, Member, State, TimelineEvent
from bangfu.registry.services import archive as archive_services
from bangfu.registry.services import lifecycle
from tests.browser import SCREENSHOTS, assert_page_ok, sign_in

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("BANGFU_SHOTS_DIR") or SCREENSHOTS)
AREA = "440106"  # 广州市天河区: where the tree's unions are
TITLE = "广东省困难职工家庭档案批量导入表（2026年第一批）"
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
CONFIRM_REASON = "经核实，该户户主已纳入民政低保，按低保户重新分类。"
DISMISS_REASON = "民政名册中该成员的低保已于2025年底停发，系名册未及时更新，不予认定。"
ROSTER_STRANGERS = 300


def pid(birth: dt.date, seq: int) -> str:
    return synthetic_resident_id(AREA, birth, seq)


# --- the people of the file ---------------------------------------------------------------------------------
# One dict per row, keyed by the template's Chinese headers (what a union's clerk types). Row 1 of the sheet is
# the merged title, row 2 the headers, so the first person is on row 3.

def households(tree) -> list[list[dict]]:
    def head(name, identity, sex, born, union, *, work="失业", health="良好", income="", cause="下岗失业",
             second="", **extra):
        return {"户主身份证号": identity, "与户主关系": "本人", "姓名": name, "证件类型": "居民身份证",
                "证件号码": identity, "性别": sex, "出生日期": born, "民族": "汉族", "健康状况": health,
                "就业状况": work, "婚姻状况": "已婚", "户口类型": "非农业", "月收入(元)": income,
                "联系电话": "13800138000", "工会代码": union.code, "居住地区划代码": AREA,
                "家庭住址": "广州市天河区员村二横路8号", "住房类型": "租房", "住房面积(平方米)": "42.5",
                "单亲家庭": "否", "零就业家庭": "否", "开户银行": "中国工商银行",
                "银行账号": "6222020200001234567", "账户持有人": name, "主要致困原因": cause,
                "次要致困原因": second, **extra}

    def member(head_identity, relation, name, identity, sex, born, *, health="良好", work="", student="否",
               stage="", income=""):
        return {"户主身份证号": head_identity, "与户主关系": relation, "姓名": name, "证件号码": identity,
                "性别": sex, "出生日期": born, "健康状况": health, "就业状况": work, "是否在校学生": student,
                "就读阶段": stage, "月收入(元)": income}

    h1 = pid(dt.date(1978, 4, 12), 131)
    h2 = pid(dt.date(1975, 9, 3), 242)
    h3 = pid(dt.date(1969, 1, 20), 351)
    h4 = pid(dt.date(1983, 11, 8), 462)
    h5 = pid(dt.date(1965, 7, 15), 571)
    h6 = pid(dt.date(1972, 2, 28), 682)
    return [
        [  # rows 3-5: the head's ID number typed in full-width digits, the income with a comma and 元
            head("陈建国", h1.translate(FULL_WIDTH), "男", "1978-04-12", tree.grassroots, income="1,200元",
                 second="子女教育", 联系电话="13800138000".translate(FULL_WIDTH)) | {"户主身份证号": h1},
            member(h1, "配偶", "林秀英", pid(dt.date(1980, 6, 2), 142), "女", "1980.6.2", work="无业"),
            member(h1, "子女", "陈小明", pid(dt.date(2010, 9, 1), 151), "男", "2010-09-01", student="是",
                   stage="初中"),
        ],
        [  # rows 6-8: a child's birth date written 2020年3月
            head("黄丽华", h2, "女", "1975-09-03", tree.grassroots, work="下岗", income="800",
                 cause="重大疾病", health="恶性肿瘤"),
            member(h2, "父母", "黄德才", pid(dt.date(1946, 3, 9), 253), "男", "1946年3月9日", work="退休",
                   income="1,650.00元"),
            member(h2, "子女", "黄乐乐", pid(dt.date(2020, 3, 1), 264), "女", "2020年3月", student="是",
                   stage="学前"),
        ],
        [  # rows 9-10: the spouse's check character is wrong (error 1)
            head("刘志强", h3, "男", "1969-01-20", tree.grassroots, work="病休", health="恶性肿瘤",
                 income="600元", cause="重大疾病"),
            member(h3, "配偶", "张美玲", pid(dt.date(1970, 5, 5), 362), "女", "1970-05-05", work="失业"),
        ],
        [  # rows 11-13: the second child's health is not a value of the code list (error 3)
            head("周敏", h4, "女", "1983-11-08", tree.sibling, work="在岗", income="2,100", cause="单亲家庭",
                 单亲家庭="是"),
            member(h4, "子女", "周子涵", pid(dt.date(2012, 6, 1), 473), "男", "2012.6.1", student="是",
                   stage="初中"),
            member(h4, "子女", "周子萱", pid(dt.date(2015, 10, 10), 484), "女", "2015-10-10", student="是",
                   stage="小学"),
        ],
        [  # rows 14-15: the spouse's ID number became a number in Excel (error 2)
            head("吴国平", h5, "男", "1965-07-15", tree.sibling, work="下岗", income="900元"),
            member(h5, "配偶", "何桂芳", pid(dt.date(1967, 12, 1), 586), "女", "1967-12-01", work="无业"),
        ],
        [  # rows 16-17: a household of the county union
            head("郑海燕", h6, "女", "1972-02-28", tree.county, work="失业", income="", cause="下岗失业"),
            member(h6, "子女", "郑浩", pid(dt.date(2004, 8, 18), 693), "男", "2004-08-18", student="是",
                   stage="本科"),
        ],
    ]


def wrong_check_character(identity: str) -> str:
    last = identity[-1]
    return identity[:-1] + ("0" if last != "0" else "1")


def with_errors(rows: list[list[dict]]) -> list[list[dict]]:
    """The same people with three deliberate errors. Returns a deep copy."""
    rows = [[dict(person) for person in household] for household in rows]
    rows[2][1]["证件号码"] = wrong_check_character(rows[2][1]["证件号码"])
    rows[3][2]["健康状况"] = "亚健康"
    rows[4][1]["证件号码"] = float(rows[4][1]["证件号码"])  # what Excel does to 18 digits typed as a number
    return rows


# Where the errors are: (sheet row, column header).
EXPECTED_PROBLEMS = {(10, "证件号码"), (13, "健康状况"), (15, "证件号码")}


def workbook_bytes(headers: list[str], rows: list[list[dict]]) -> bytes:
    """A workbook as a union's clerk makes it: a merged title row, then the template's headers, then one row
    per person; identity cells typed as text (a float stays a number, as Excel stores it)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "困难职工"
    sheet.append([TITLE])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    sheet.append(headers)
    plain = [header.rstrip("*＊") for header in headers]
    for household in rows:
        for person in household:
            sheet.append([person.get(header, "") for header in plain])
    for index, header in enumerate(plain, start=1):
        if header in ("户主身份证号", "证件号码", "银行账号", "联系电话"):
            for cells in sheet.iter_rows(min_row=3, min_col=index, max_col=index):
                if isinstance(cells[0].value, str):
                    cells[0].number_format = "@"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def roster_csv(matches: list[tuple[str, str]], on: dt.date) -> bytes:
    """A civil-affairs 低保 roster with plain ID numbers: the matches among many people the unions never archived."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["身份证号", "姓名", "纳入日期", "救助类别", "行政区划"])
    strangers = [(synthetic_resident_id("440104", dt.date(1950, 1, 1) + dt.timedelta(days=61 * n), n % 1000),
                  f"路人{n}") for n in range(ROSTER_STRANGERS)]
    people = strangers[:150] + matches + strangers[150:]
    for n, (identity, name) in enumerate(people):
        writer.writerow([identity, name, on.isoformat(), "低保" if n % 7 else "特困", AREA])
    return buffer.getvalue().encode("utf-8")


# --- browser helpers ----------------------------------------------------------------------------------------


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"issue6-{name}.png"), full_page=True)


def click(page, target) -> None:
    """Click a link or submit button (a selector or a locator) and wait for the page it leads to."""
    locator = page.locator(target) if isinstance(target, str) else target
    with page.expect_navigation():
        locator.click()


def sign_in_with_code(open_page, user):
    """A fresh browser signed in through the login form and the authenticator's code."""
    page = open_page()
    sign_in(page, user)
    device = TOTPDevice.objects.get(user=user)
    assert "/accounts/" in page.url, f"no two-factor step for {user.username}: {page.url}"
    code = str(totp(device.bin_key, device.step, device.t0, device.digits, device.drift)).zfill(device.digits)
    page.fill("#id_token", code)
    click(page, "form:has(#id_token) button[type=submit]")
    assert "/accounts/" not in page.url, f"{user.username} is not signed in: {page.url}"
    return page


def download(page, selector: str):
    """Click a download link; the file (Playwright's Download). Chromium reports the navigation it turned
    into a download as a failed request: that one is not a problem of the page."""
    with page.expect_download() as info:
        page.locator(selector).click()
    file = info.value
    file.path()  # wait for the whole file
    page.problems[:] = [p for p in page.problems if p != f"request failed: {file.url}"]
    return file


def no_form_errors(page, what: str) -> None:
    errors = page.locator(".invalid-feedback, .alert-danger")
    assert errors.count() == 0, f"{what}: {errors.first.inner_text()}"


def run_worker() -> None:
    """What `manage.py db_worker` does in production, once over the queue (every task queued so far)."""
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    try:
        call_command("db_worker", batch=True, reload=False, startup_delay=False, interval=0.1, verbosity=0)
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)


def zh_state(obj) -> str:
    """An object's state as the Chinese page shows it (its label's own context, e.g. a finding's "Confirmed")."""
    with translation.override("zh-hans"):
        return obj.get_state_display()


def zh(label) -> str:
    """A label (a lazy one or an msgid) as the Chinese page shows it (the English msgid while its translation
    is missing)."""
    with translation.override("zh-hans"):
        return translation.gettext(label) if isinstance(label, str) else str(label)


def upload(page, data: bytes, name: str, *, screenshots: tuple[str, str] = ("", "")) -> ImportJob:
    """Upload a workbook all-or-nothing and follow the job page until the worker has finished it."""
    page.goto("/imports/")
    assert_page_ok(page)
    page.set_input_files("#id_file", files=[{
        "name": name, "buffer": data,
        "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}])
    page.check(f"input[name=mode][value={ImportJob.Mode.ALL_OR_NOTHING}]")
    assert not page.is_checked("#id_dry_run")
    if screenshots[0]:
        shot(page, screenshots[0])
    click(page, "#content form[enctype='multipart/form-data'] button[type=submit]")
    no_form_errors(page, f"upload of {name}")
    match = re.search(r"/imports/jobs/(\d+)/$", page.url)
    assert match, page.url
    job = ImportJob.objects.get(pk=int(match.group(1)))
    assert job.original_name == name and job.mode == ImportJob.Mode.ALL_OR_NOTHING and not job.dry_run
    # Queued: the bar is empty and the page polls the job's status.
    assert job.state == ImportJob.State.QUEUED
    assert page.locator("#job-status").get_attribute("data-finished") == "0"
    assert page.locator("#job-bar").inner_text().strip() == "0%"
    assert page.locator("#job-state").inner_text().strip() == zh(ImportJob.State.QUEUED.label)
    if screenshots[1]:
        shot(page, screenshots[1])
    run_worker()  # the page's polls wait (see the route in the test) until the worker is done
    page.wait_for_selector("#job-status[data-finished='1']", timeout=30_000)  # the page reloaded itself
    assert_page_ok(page)
    job.refresh_from_db()
    assert job.is_finished, job.state
    if job.state == ImportJob.State.FAILED and job.error == "refused":
        # Refused for its rows (not a platform failure): the page says so and points to the report.
        with translation.override("zh-hans"):
            refused = translation.pgettext("import job", "Refused")
        assert page.locator("#job-state").inner_text().strip() == refused
    else:
        assert page.locator("#job-state").inner_text().strip() == zh_state(job)
    return job


def job_summary(page) -> dict[str, str]:
    """The job page's result list (label → value)."""
    pairs = page.locator("#content dl.row").first.evaluate(
        "dl => [...dl.querySelectorAll('dt')].map(dt => [dt.innerText.trim(), dt.nextElementSibling.innerText.trim()])")
    return dict(pairs)


# --- the scenario -------------------------------------------------------------------------------------------


def test_issue6_done_means(open_page, tree):
    # Guangzhou's minimum-living line and minimum wage (the classification needs them; illustrative values).
    for kind, amount in (("living_line", "1210.00"), ("minimum_wage", "2500.00")):
        LocalStandard.objects.create(division_id="440100", kind=kind, amount=Decimal(amount),
                                     effective_from=dt.date(2025, 7, 1), source="test", illustrative=True)
    officer = tree.user("provofficer", tree.province, Role.CASE_WORKER, Role.REVIEWER)
    TOTPDevice.objects.create(user=officer, name="手机", confirmed=True)
    people = households(tree)
    identities = [unicodedata.normalize("NFKC", person["证件号码"]) for household in people for person in household]

    # --- 1. sign in ---------------------------------------------------------------------------------------
    page = sign_in_with_code(open_page, officer)
    assert_page_ok(page)
    # Hold the job page's status polls while the test's worker runs (released by the next Playwright call).
    page.route("**/imports/jobs/*/status/", lambda route: route.continue_())

    # --- 2. the template, the file with errors, the report -------------------------------------------------
    page.goto("/imports/")
    template_download = download(page, "a[href$='template.xlsx']")
    template = load_workbook(io.BytesIO(template_download.path().read_bytes()), read_only=True).worksheets[0]
    headers = [cell for cell in next(template.iter_rows(min_row=1, max_row=1, values_only=True)) if cell]
    plain = {header.rstrip("*") for header in headers}
    used = {key for household in people for person in household for key in person}
    assert used <= plain, f"the file uses columns the template does not have: {used - plain}"

    job = upload(page, workbook_bytes(headers, with_errors(people)), "天河区困难职工档案.xlsx",
                 screenshots=("01-upload-form", "02-job-queued"))
    assert job.state == ImportJob.State.FAILED and job.error == "refused"
    assert job.rows_read == 15 and job.rows_rejected == 3, (job.rows_read, job.rows_rejected)
    assert Household.objects.count() == 0 and Member.objects.count() == 0  # all or nothing: nothing
    summary = job_summary(page)
    assert summary[zh("Rows rejected")] == "3", summary
    assert summary[zh("Households created")] == "0", summary
    shown = page.locator("#content table").last.locator("tbody tr")  # the page's list of problems
    assert {(int(r[0]), r[1]) for r in shown.evaluate_all(
        "rows => rows.map(r => [r.cells[0].innerText.trim(), r.cells[1].innerText.trim()])")} == EXPECTED_PROBLEMS
    html = page.content()
    for identity in identities:
        assert identity not in html, "a full ID number is on the job page"
    shot(page, "03-refused")

    report_download = download(page, "a[href$='/report/']")
    assert report_download.suggested_filename.endswith(".xlsx")
    report = load_workbook(io.BytesIO(report_download.path().read_bytes()), read_only=True).worksheets[0]
    lines = list(report.iter_rows(min_row=2, values_only=True))
    assert {(int(row[0]), row[1]) for row in lines} == EXPECTED_PROBLEMS, lines
    assert len(lines) == len(EXPECTED_PROBLEMS), lines
    for row_no, column, value, message in lines:
        assert message and str(message).strip(), (row_no, column)
        if column == "证件号码":
            assert "*" in str(value), f"row {row_no}: the ID number is not masked in the report: {value}"
    report_text = " ".join(str(cell) for row in lines for cell in row)
    for identity in identities:
        assert identity not in report_text, "a full ID number is in the report"
    assert "亚健康" in report_text  # the wrong value is shown so the clerk can find it

    # Corrected: the check character, the ID typed as text, a health value of the list.
    fixed = workbook_bytes(headers, people)
    job = upload(page, fixed, "天河区困难职工档案（已更正）.xlsx")
    assert job.state == ImportJob.State.SUCCEEDED, (job.state, job.error)
    assert (job.households_created, job.households_changed, job.rows_rejected) == (6, 0, 0)
    summary = job_summary(page)
    assert summary[zh("Households created")] == "6" and summary[zh("Rows rejected")] == "0", summary
    assert page.locator("#job-bar").inner_text().strip() == "100%"
    shot(page, "04-imported")

    imported = {h.members.get(is_head=True).identity_number: h for h in Household.objects.all()}
    heads = [household[0]["户主身份证号"] for household in people]
    assert sorted(imported) == sorted(heads)
    assert Member.objects.count() == 15
    assert {h.org_id for h in imported.values()} == {tree.grassroots.pk, tree.sibling.pk, tree.county.pk}
    assert [imported[identity].org for identity in heads] == [tree.grassroots] * 3 + [tree.sibling] * 2 + [tree.county]
    assert all(h.state == State.DRAFT for h in imported.values())
    first, second = imported[heads[0]], imported[heads[1]]
    assert first.household_size == 3 and second.household_size == 3
    head_1 = first.members.get(is_head=True)  # typed in full-width digits, stored as the plain number
    assert head_1.identity_number == heads[0] and str(head_1.monthly_income_declared) == "1200.00"
    assert head_1.phone == "13800138000"
    toddler = second.members.get(name="黄乐乐")
    assert toddler.birth_date == dt.date(2020, 3, 1) and toddler.relation == "child"
    grandpa = second.members.get(name="黄德才")
    assert grandpa.birth_date == dt.date(1946, 3, 9) and str(grandpa.monthly_income_declared) == "1650.00"
    assert Member.objects.get(name="周子萱").health == "good"
    assert ImportedHousehold.objects.filter(job=job, action="created").count() == 6
    assert TimelineEvent.objects.filter(kind="imported").count() == 6

    before = sorted(Household.objects.values_list("pk", "updated_at"))
    again = upload(page, fixed, "天河区困难职工档案（已更正）.xlsx")
    assert again.state == ImportJob.State.SUCCEEDED, (again.state, again.error)
    assert (again.households_created, again.households_changed, again.households_unchanged) == (0, 0, 6)
    summary = job_summary(page)
    assert summary[zh("Households created")] == "0" and summary[zh("Households changed")] == "0", summary
    assert summary[zh("Households unchanged")] == "6", summary
    assert sorted(Household.objects.values_list("pk", "updated_at")) == before
    assert Member.objects.count() == 15 and Household.objects.count() == 6
    shot(page, "05-reimported-unchanged")

    # --- 3. two households authorise the economic check (on their consent pages), then become active -------
    signed = timezone.localdate() - dt.timedelta(days=10)
    for household in (first, second):
        page.goto(f"/households/{household.pk}/consents/")
        assert_page_ok(page)
        page.select_option("#id_kind", "economic_check")
        page.fill("#id_signed_on", signed.isoformat())
        page.fill("#id_signed_by_name", household.members.get(is_head=True).name)
        click(page, "[data-testid=save]")
        no_form_errors(page, f"consent of {household.archive_number}")
        assert household.consents.filter(kind="economic_check", withdrawn_on=None).count() == 1
    assert page.locator("[data-testid=consents] tbody tr").count() == 1
    shot(page, "06-consent-recorded")

    # DB shortcut through the registry's lifecycle services (the procedure has its own browser test): the two
    # authorised households go draft → … → active, the officer (case worker and reviewer of the province)
    # acting at every step.
    today = timezone.localdate()
    for household in (first, second):
        lifecycle.household_submit(household, actor=officer)
        lifecycle.household_first_check(household, actor=officer, opinion_text="材料齐全")
        lifecycle.home_visit_record(household, actor=officer, visited_on=today, visitors="市总工会帮扶中心 李四",
                                    findings="情况属实")
        lifecycle.economic_check_complete(household, actor=officer, note="核对无异常")
        archive_services.consent_record(household, {
            "kind": "public_notice", "signed_on": signed, "signed_by_name": "户主",
            "notice_content": "姓名（脱敏）和困难类别", "notice_place": "community"}, actor=officer)
        lifecycle.notice_start(household, actor=officer, starts_on=today - dt.timedelta(days=8))
        lifecycle.notice_close(household, actor=officer)
        lifecycle.household_approve(household, actor=officer, opinion_text="同意建档")
        household.refresh_from_db()
        assert household.state == State.ACTIVE and not household.on_minimum_living_roster
    categories_before = {h.pk: h.category for h in (first, second)}
    # Without incomes on file the unemployed adults are imputed the minimum wage: above the line, no category.
    assert categories_before[first.pk] == Category.NOT_ELIGIBLE, categories_before

    # --- 4. the civil-affairs roster, the checks, the findings ---------------------------------------------
    head_a = first.members.get(is_head=True)  # on the roster: the head of the first household …
    member_b = grandpa  # … and the father of the second
    roster = roster_csv([(head_a.identity_number, head_a.name), (member_b.identity_number, member_b.name)],
                        today - dt.timedelta(days=20))
    page.goto("/crosscheck/snapshots/new/")
    assert_page_ok(page)
    page.select_option("#id_source", str(DataSource.objects.get(code="dibao_roster").pk))
    assert page.locator("#id_as_of").input_value() == today.isoformat()
    page.set_input_files("#id_file", files=[{"name": "天河区低保名册.csv", "mimeType": "text/csv",
                                             "buffer": roster}])
    shot(page, "07-roster-form")
    click(page, "[data-testid=upload-form] button[type=submit]")
    no_form_errors(page, "roster")
    assert re.search(r"/crosscheck/snapshots/\d+/$", page.url), page.url
    snapshot = Snapshot.objects.get()
    assert (snapshot.rows_read, snapshot.rows_matched, snapshot.rows_discarded, snapshot.rows_rejected) == (
        ROSTER_STRANGERS + 2, 2, ROSTER_STRANGERS, 0)
    assert page.locator("[data-testid=rows-read]").inner_text().strip() == str(ROSTER_STRANGERS + 2)
    assert page.locator("[data-testid=rows-matched]").inner_text().strip() == "2"
    facts = page.locator("[data-testid=snapshot-facts] dd").all_inner_texts()
    assert str(ROSTER_STRANGERS) in [fact.strip() for fact in facts], facts  # the discarded rows
    assert head_a.identity_number not in page.content()
    shot(page, "08-roster-loaded")

    click(page, "[data-testid=run-checks]")
    assert re.search(r"/crosscheck/runs/\d+/$", page.url), page.url
    run = CheckRun.objects.get()
    assert run.org == tree.province
    run_worker()
    page.reload()
    assert_page_ok(page)
    run.refresh_from_db()
    assert run.state == "done", (run.state, run.error)
    assert page.locator("[data-testid=run-state]").inner_text().strip() == zh_state(run)
    assert (run.findings_opened, run.households_checked, run.households_unauthorised) == (2, 2, 4)
    shot(page, "09-run-done")

    findings = {f.household_id: f for f in Finding.objects.select_related("snapshot", "member")}
    assert set(findings) == {first.pk, second.pk}
    assert {f.rule_code for f in findings.values()} == {"dibao_new"}
    to_confirm, to_dismiss = findings[first.pk], findings[second.pk]
    assert to_confirm.member_id == head_a.pk and to_dismiss.member_id == member_b.pk

    page.goto("/crosscheck/")
    assert_page_ok(page)
    queue = page.locator("[data-testid=findings] tbody tr[data-testid^=finding-]")
    assert sorted(queue.evaluate_all("rows => rows.map(r => r.dataset.testid)")) == sorted(
        f"finding-{f.pk}" for f in findings.values())
    row = page.locator(f"[data-testid=finding-{to_confirm.pk}]")
    assert first.archive_number in row.inner_text()
    shot(page, "10-findings-queue")

    for finding, person in ((to_confirm, head_a), (to_dismiss, member_b)):
        page.goto("/crosscheck/")
        click(page, page.locator(f"[data-testid=finding-{finding.pk}] a[href$='/findings/{finding.pk}/']"))
        assert_page_ok(page)
        evidence = dict(page.locator("[data-testid=evidence] tr").evaluate_all(
            "rows => rows.map(r => [r.cells[0].innerText.trim(), r.cells[1].innerText.trim()])"))
        assert evidence[zh("Data source")] == snapshot.source.name, evidence
        assert evidence[zh("Snapshot version")] == str(snapshot.version), evidence
        assert evidence[zh("ID number (masked)")] == person.identity_masked, evidence
        assert "*" in person.identity_masked and evidence[zh("Data as of")] == today.isoformat(), evidence
        assert evidence[zh("Date")] == (today - dt.timedelta(days=20)).isoformat(), evidence
        html = page.content()
        assert person.identity_number not in html, "the full ID number is on the finding's page"
        assert person.name not in html  # names are masked too
        assert page.locator("[data-testid=resolve-form]").is_visible()

    # Confirm the first: the household goes on the minimum-living roster and is re-classified.
    page.goto(f"/crosscheck/findings/{to_confirm.pk}/")
    shot(page, "11-finding-evidence")
    page.fill("[data-testid=resolve-form] textarea[name=reason]", CONFIRM_REASON)
    click(page, "[data-testid=confirm]")
    no_form_errors(page, "confirm")
    assert page.url.endswith(f"/crosscheck/findings/{to_confirm.pk}/")
    to_confirm.refresh_from_db()
    first.refresh_from_db()
    assert to_confirm.state == "confirmed" and to_confirm.resolved_by == officer
    assert to_confirm.reason == CONFIRM_REASON
    assert first.on_minimum_living_roster is True
    assert first.category == Category.A_MINIMUM_LIVING, first.category  # re-classified: 低保户
    assert page.locator("[data-testid=finding-state]").inner_text().strip() == zh_state(to_confirm)
    assert page.locator("[data-testid=action-result]").inner_text().strip() == to_confirm.action_result
    assert page.locator("[data-testid=resolve-form]").count() == 0
    shot(page, "12-finding-confirmed")

    page.goto(f"/households/{first.pk}/timeline/")
    assert_page_ok(page)
    confirmed = page.locator("[data-testid=timeline] li[data-kind=finding_confirmed]")
    assert confirmed.count() == 1
    assert CONFIRM_REASON[:40] in confirmed.inner_text()
    assert page.locator("[data-testid=timeline] li[data-kind=household_updated]").count() >= 1
    reclassified = page.locator("[data-testid=timeline] li[data-kind=reclassified]").first  # the newest
    assert zh(Category.A_MINIMUM_LIVING.label) in reclassified.inner_text(), reclassified.inner_text()
    assert page.locator("[data-testid=timeline] li[data-kind=finding_opened]").count() == 1
    shot(page, "13-timeline")

    # Dismiss the second: recorded with its reason, the household unchanged.
    page.goto(f"/crosscheck/findings/{to_dismiss.pk}/")
    click(page, "[data-testid=dismiss]")  # without a reason: refused at the field
    assert page.locator("[data-testid=error-reason]").is_visible()
    shot(page, "14-dismiss-needs-a-reason")
    to_dismiss.refresh_from_db()
    assert to_dismiss.state == "open"
    page.fill("[data-testid=resolve-form] textarea[name=reason]", DISMISS_REASON)
    click(page, "[data-testid=dismiss]")
    no_form_errors(page, "dismiss")
    to_dismiss.refresh_from_db()
    second.refresh_from_db()
    assert to_dismiss.state == "dismissed" and to_dismiss.reason == DISMISS_REASON
    assert to_dismiss.resolved_by == officer
    assert second.on_minimum_living_roster is False and second.category == categories_before[second.pk]
    assert page.locator("[data-testid=finding-state]").inner_text().strip() == zh_state(to_dismiss)
    assert DISMISS_REASON in page.locator("#content").inner_text()
    assert TimelineEvent.objects.filter(household=second, kind="finding_dismissed",
                                        reason=DISMISS_REASON).count() == 1
    shot(page, "15-finding-dismissed")

    page.goto("/crosscheck/")  # the queue (open findings) is empty now
    assert page.locator("[data-testid=findings] tbody tr[data-testid^=finding-]").count() == 0
    assert not page.problems, page.problems
