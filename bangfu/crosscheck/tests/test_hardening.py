"""Review findings: a sibling union's archive in duplicate evidence, overlapping runs, size limits and zip bombs,
GBK CSV with quoted fields, and which snapshots a run of a lower union reads."""

from __future__ import annotations

import datetime as dt
import io
import struct
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from bangfu.crosscheck import reader
from bangfu.crosscheck.models import CheckRun, DataSource, Finding, Snapshot, SnapshotRow
from bangfu.crosscheck.services import run_checks, snapshot_load, snapshot_push, start_run
from bangfu.crosscheck.services.evaluate import snapshots_for
from bangfu.crosscheck.tests.conftest import authorise, head_id
from bangfu.crosscheck.tests.test_ingest import ROSTER_HEADER, _upload
from bangfu.registry.tests.factories import make_household

AS_OF = dt.date(2026, 1, 31)


def _api(user):
    client = APIClient()
    client.force_authenticate(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _push(user, org, code, rows):
    return snapshot_push(user, org, DataSource.objects.get(code=code), rows=rows, as_of=AS_OF)


def _run(org):
    return run_checks(CheckRun.objects.create(org=org, on=timezone.localdate()))


# --- 1. possible duplicates across two sibling unions ----------------------------------------------------------

def test_possible_duplicate_shows_nothing_of_a_sibling_unions_archive(tree, grassroots_cadre, county_reviewer,
                                                                      signed_in):
    mine = make_household(tree.grassroots, name="周同")
    theirs = make_household(tree.sibling, name="周同")  # same name, birth date and sex, another number
    their_member = theirs.members.get(is_head=True)
    _run(tree.county)
    finding = Finding.objects.get(rule_code="possible_duplicate", household=mine)
    secrets = (theirs.archive_number, their_member.identity_masked)
    assert their_member.identity_masked != mine.members.get(is_head=True).identity_masked

    page = signed_in(grassroots_cadre).get(f"/crosscheck/findings/{finding.pk}/").content.decode()
    assert "another union&#x27;s archive" in page
    assert not [s for s in secrets if s in page]
    evidence = _api(grassroots_cadre).get(f"/api/v1/findings/{finding.pk}/").data["evidence"]
    assert evidence["other_archive"] == "another union's archive"
    assert not [s for s in secrets if s in str(evidence)]
    assert not {"other_household", "other_member", "other_identity_masked"} & set(evidence)

    # the county sees both archives: the other one is named, with its member's masked ID
    page = signed_in(county_reviewer).get(f"/crosscheck/findings/{finding.pk}/").content.decode()
    assert all(s in page for s in secrets)
    evidence = _api(county_reviewer).get(f"/api/v1/findings/{finding.pk}/").data["evidence"]
    assert evidence["other_archive"] == theirs.archive_number
    assert evidence["other_identity_masked"] == their_member.identity_masked


# --- 3. a second run of the same union -------------------------------------------------------------------------

def test_a_second_run_of_the_same_union_is_refused_while_one_is_queued(tree, province_cadre, signed_in):
    client = signed_in(province_cadre)
    assert client.post("/crosscheck/runs/").status_code == 302
    first = CheckRun.objects.get()
    assert first.state == "queued"
    page = client.post("/crosscheck/runs/", follow=True).content.decode()
    assert f"A cross-check of this union is already waiting for the worker (run #{first.pk}" in page
    response = _api(province_cadre).post("/api/v1/check-runs/")
    assert response.status_code == 409 and "already waiting" in str(response.data)
    with pytest.raises(ValidationError):
        start_run(province_cadre, tree.province)
    assert CheckRun.objects.count() == 1
    # another union (even a lower one) may start its own run
    assert start_run(province_cadre, tree.county).state == "queued"
    # once the first is done, the union may run again
    CheckRun.objects.filter(pk=first.pk).update(state="done")
    assert start_run(province_cadre, tree.province).pk != first.pk


def test_a_run_left_running_by_a_dead_worker_does_not_block(tree, province_cadre):
    # nobody holds its lock (PostgreSQL) / it started long ago (SQLite): its worker died
    dead = CheckRun.objects.create(org=tree.province, on=AS_OF, state="running",
                                   started_at=timezone.now() - dt.timedelta(days=1))
    run = start_run(province_cadre, tree.province)
    assert run.pk != dead.pk
    dead.refresh_from_db()
    assert dead.state == "interrupted"


# --- 4. size limits --------------------------------------------------------------------------------------------

def _roster(households, n=60):
    lines = [",".join(ROSTER_HEADER)] + [f"{head_id(households[0])},王一,2026-01-05,低保,440106"] * n
    return ("\n".join(lines) + "\n").encode()


def test_a_file_over_the_size_limit_is_refused(tree, households, province_cadre, signed_in, settings, tmp_path):
    settings.BANGFU_CROSSCHECK_MAX_MB = 0.001  # about 1 KB
    content = _roster(households)
    assert len(content) > 1100
    response = _upload(signed_in(province_cadre), content)
    assert response.status_code == 200 and "The file is too large" in response.content.decode()
    response = _api(province_cadre).post("/api/v1/data-sets/", {
        "source": "dibao_roster", "as_of": "2026-01-31", "file": SimpleUploadedFile("r.csv", content)},
        format="multipart")
    assert response.status_code == 400 and "The file is too large" in str(response.data)
    path = tmp_path / "r.csv"
    path.write_bytes(content)
    with pytest.raises(ValidationError, match="The file is too large"):
        snapshot_load(province_cadre, tree.province, DataSource.objects.get(code="dibao_roster"), path=str(path),
                      file_name="r.csv", as_of=AS_OF)
    assert not Snapshot.objects.exists() and not SnapshotRow.objects.exists()
    settings.BANGFU_CROSSCHECK_MAX_MB = 200
    assert _upload(signed_in(province_cadre), content).status_code == 302


def _workbook(households) -> bytes:
    openpyxl = pytest.importorskip("openpyxl")
    workbook = openpyxl.Workbook()
    workbook.active.append(ROSTER_HEADER)
    workbook.active.append([head_id(households[0]), "王一", dt.date(2026, 1, 5), "低保", "440106"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _with_bomb(workbook: bytes, *, declare: int | None = None) -> bytes:
    """The workbook plus a member of 64 MB of zeros (it packs into ~64 KB); `declare` writes a false unpacked
    size into its headers, as a crafted zip bomb does."""
    buffer = io.BytesIO(workbook)
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/padding.bin", b"\0" * (64 * 1024 * 1024))
    data = bytearray(buffer.getvalue())
    if declare is not None:  # patch the local and the central header that name the member
        name, patched = b"xl/media/padding.bin", 0
        for signature, size_at, name_at in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
            start = 0
            while (start := data.find(signature, start)) >= 0:
                if data[start + name_at:start + name_at + len(name)] == name:
                    data[start + size_at:start + size_at + 4] = struct.pack("<I", declare)
                    patched += 1
                start += 4
        assert patched == 2
    return bytes(data)


@pytest.mark.parametrize("declare", [None, 1000], ids=["honest-headers", "lying-headers"])
def test_an_xlsx_zip_bomb_is_refused_before_reading(tree, households, province_cadre, signed_in, declare):
    workbook = _workbook(households)
    bomb = _with_bomb(workbook, declare=declare)
    assert len(bomb) < 1024 * 1024
    with zipfile.ZipFile(io.BytesIO(bomb)) as archive:  # what the archive claims
        claimed = sum(info.file_size for info in archive.infolist())
    assert (claimed > 64 * 1024 * 1024) == (declare is None)
    response = _upload(signed_in(province_cadre), bomb, name="roster.xlsx")
    assert response.status_code == 200, response.status_code
    assert "zip bomb" in response.content.decode()
    assert not Snapshot.objects.exists()
    # the workbook alone loads
    assert _upload(signed_in(province_cadre), workbook, name="roster.xlsx").status_code == 302


def test_an_xlsx_over_the_unpacked_limit_is_refused(tree, households, province_cadre, signed_in, settings):
    settings.BANGFU_CROSSCHECK_MAX_UNPACKED_MB = 0.002  # 2 KB: less than the workbook's own XML
    response = _upload(signed_in(province_cadre), _workbook(households), name="roster.xlsx")
    assert response.status_code == 200 and "zip bomb" in response.content.decode()
    assert not Snapshot.objects.exists()


# --- 6. GBK CSV with quoted fields -----------------------------------------------------------------------------

def test_gbk_csv_with_quoted_fields(tree, households, province_cadre, signed_in):
    one, two = head_id(households[0]), head_id(households[1])
    text = (",".join(ROSTER_HEADER) + "\r\n"
            f'{one},"王一,王大",2026-01-05,"低保","440106"\r\n'  # a comma inside quotes
            f'{two},"王二\r\n（曾用名）","2026-01-06",特困,440106\r\n'  # a line break inside quotes
            '110105194912310021,"错,号",2026-01-07,低保,\r\n')
    response = _upload(signed_in(province_cadre), text.encode("gbk"))
    assert response.status_code == 302, response.content.decode()[:3000]
    snapshot = Snapshot.objects.get()
    assert (snapshot.rows_read, snapshot.rows_matched, snapshot.rows_rejected) == (3, 2, 1)
    kept = {r.household_id: r for r in SnapshotRow.objects.all()}
    assert kept[households[0].pk].code == "dibao" and kept[households[1].pk].code == "tekun"
    assert kept[households[0].pk].extra["name"].startswith("王") and "�" not in str(kept[households[0].pk].extra)
    assert kept[households[1].pk].event_date == dt.date(2026, 1, 6)
    assert snapshot.rejected_rows == [{"row": 4, "id": "",
                                       "problem": "The check character of the ID number is wrong."}]


def test_full_width_id_in_gbk_is_read():
    number, problem = reader.canonical_id("１１０１０５１９４９１２３１００２Ｘ".encode("gbk"))
    assert (number, problem) == (b"11010519491231002X", "")


# --- 7. what a lower union's run reads -------------------------------------------------------------------------

@pytest.fixture
def county_user(tree):
    from bangfu.accounts.roles import Role

    return tree.user("countycadre", tree.county, Role.CASE_WORKER)


def test_a_county_run_reads_one_snapshot_per_source_and_only_its_subtree(tree, households, province_cadre,
                                                                        county_user):
    inside = households[0]
    outside = authorise(make_household(tree.city, name="城直属"))  # in the province, not in the county
    # the province and the county each loaded the real-estate registry: one home each time, the same home
    one_home = [{"身份证号": head_id(inside), "房产类型": "住宅", "套数": "1"}]
    province_homes = _push(province_cadre, tree.province, "real_estate", one_home)
    county_homes = _push(county_user, tree.county, "real_estate", one_home)
    _push(province_cadre, tree.province, "vehicles", [
        {"身份证号": head_id(inside), "车辆类型": "小型汽车", "号牌": "粤A12345"},
        {"身份证号": head_id(outside), "车辆类型": "小型汽车", "号牌": "粤A54321"}])
    assert snapshots_for(["real_estate"], tree.county.path) == [county_homes.pk]  # the newer of the two
    assert snapshots_for(["real_estate"], tree.province.path) == [province_homes.pk]  # not the county's own

    county = _run(tree.county)
    found = {(f.rule_code, f.household_id) for f in Finding.objects.filter(run=county)}
    # one home, not two (the two loads are not added up); the car outside the county is not the county's
    assert found == {("vehicle", inside.pk)}
    assert not Finding.objects.exclude(household__org__path__startswith=tree.county.path).filter(run=county)

    province = _run(tree.province)
    assert {(f.rule_code, f.household_id) for f in Finding.objects.filter(run=province)} == {
        ("vehicle", outside.pk)}


def test_every_evidence_label_has_its_chinese_translation():
    """The labels are lazy module constants: a helper alias once hid them from makemessages, and the Chinese
    finding page showed "Snapshot version" in English."""
    from django.utils import translation

    from bangfu.crosscheck.evidence import CODE_LABELS, LABELS

    for labels in (LABELS, CODE_LABELS):
        with translation.override("en"):
            english = {key: str(label) for key, label in labels.items()}
        with translation.override("zh-hans"):
            same = [english[key] for key, label in labels.items() if str(label) == english[key]]
        assert not same, same
