"""Ingestion: minimisation, hashing, versioned snapshots, and every kind of bad input (through the page/API)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from bangfu.core.crypto import keyed_hash
from bangfu.core.identity import synthetic_resident_id
from bangfu.crosscheck import reader
from bangfu.crosscheck.models import DataSource, Snapshot, SnapshotRow
from bangfu.crosscheck.services import snapshot_load
from bangfu.crosscheck.tests.conftest import csv_bytes, head_id

ROSTER_HEADER = ["身份证号", "姓名", "纳入日期", "救助类别", "行政区划"]


def _upload(client, content, name="roster.csv", source="dibao_roster", as_of="2026-01-31"):
    return client.post("/crosscheck/snapshots/new/", {
        "source": DataSource.objects.get(code=source).pk, "as_of": as_of,
        "file": SimpleUploadedFile(name, content)})


def _id15(id18: str) -> str:
    return id18[:6] + id18[8:17]


def test_copied_state_hash_equals_keyed_hash():
    inner, outer = reader.keyed_states()
    for value in ("11010519491231002X", "440106198005170011"):
        h = inner.copy()
        h.update(value.encode())
        o = outer.copy()
        o.update(h.digest())
        assert o.hexdigest() == keyed_hash(value)


@pytest.mark.parametrize("raw,expected", [
    ("11010519491231002X", "11010519491231002X"),
    ("11010519491231002x", "11010519491231002X"),
    ("１１０１０５１９４９１２３１００２Ｘ", "11010519491231002X"),
    ("110105491231002", "11010519491231002X"),  # 15 digits → 18
])
def test_canonical_id_matches_the_registry(raw, expected):
    from bangfu.core.identity import parse_identity

    number, problem = reader.canonical_id(raw.encode())
    assert problem == "" and number.decode() == expected == parse_identity("resident_id", raw).value


@pytest.mark.parametrize("raw,problem", [
    ("110105194912310021", "check"), ("110105194913310023", "date"), ("1.10105194912E+17", "excel"),
    ("11010519491231002", "lost_x"), ("abc", "format"), ("", "empty"),
])
def test_canonical_id_refuses_like_parse_identity(raw, problem):
    from bangfu.core.identity import parse_identity

    assert reader.canonical_id(raw.encode())[1] == problem
    assert not parse_identity("resident_id", raw).ok


def test_upload_keeps_only_matched_rows(tree, households, province_cadre, signed_in):
    mine, other = households[0], households[4]
    stranger = synthetic_resident_id("440106", dt.date(1970, 1, 1), 7)
    rows = [
        [head_id(mine), "王一", "2026-01-05", "低保", "440106"],
        [_id15(head_id(households[1])), "王二", "2026/01/06", "特困", "440106"],  # 15-digit form
        [stranger, "陌生人", "2026-01-07", "低保", "440106"],  # nobody archived: discarded
        [head_id(other), "川外人", "2026-01-07", "低保", "510106"],  # another province's archive: discarded
        ["110105194912310021", "错号", "2026-01-07", "低保", ""],  # wrong check character: rejected
        [head_id(households[2]), "王三", "not a date", "低保", ""],  # matched but a bad date: rejected
    ]
    response = _upload(signed_in(province_cadre), csv_bytes(ROSTER_HEADER, rows))
    assert response.status_code == 302, response.content.decode()[:2000]
    snapshot = Snapshot.objects.get()
    assert (snapshot.rows_read, snapshot.rows_matched, snapshot.rows_discarded, snapshot.rows_rejected) == (6, 2, 2, 2)
    assert snapshot.version == 1 and snapshot.is_latest and snapshot.state == "loaded"
    kept = {r.household_id: r for r in SnapshotRow.objects.all()}
    assert set(kept) == {mine.pk, households[1].pk}
    assert kept[households[1].pk].code == "tekun" and kept[mine.pk].event_date == dt.date(2026, 1, 5)
    assert kept[mine.pk].identity_hash == keyed_hash(head_id(mine))
    assert kept[mine.pk].extra["name"] == "王*"
    assert [r["row"] for r in snapshot.rejected_rows] == [6, 7]
    # an invalid ID matches no archived person: only its row number and problem are listed, not even the masked ID
    assert snapshot.rejected_rows[0] == {"row": 6, "id": "",
                                         "problem": "The check character of the ID number is wrong."}
    # the archived person's row rejected for its date shows their masked ID
    assert snapshot.rejected_rows[1]["id"] == households[2].members.get(is_head=True).identity_masked
    assert "not a date" in snapshot.rejected_rows[1]["problem"]
    assert len(snapshot.file_sha256) == 64
    # nothing of the stranger or of the other province is stored anywhere in the snapshot
    stored = str(list(SnapshotRow.objects.values())) + str(snapshot.rejected_rows)
    assert keyed_hash(stranger) not in stored and stranger not in stored and "陌生人" not in stored
    assert "110105" not in str(snapshot.rejected_rows) and "错号" not in stored
    # a second load is version 2 and the latest
    _upload(signed_in(province_cadre), csv_bytes(ROSTER_HEADER, rows[:1]))
    assert list(Snapshot.objects.order_by("version").values_list("version", "is_latest")) == [(1, False), (2, True)]


def test_gbk_csv(tree, households, province_cadre, signed_in):
    rows = [[head_id(households[0]), "王一", "2026-01-05", "低保", ""]]
    assert _upload(signed_in(province_cadre), csv_bytes(ROSTER_HEADER, rows, "gbk")).status_code == 302
    assert Snapshot.objects.get().rows_matched == 1


def test_xlsx_upload(tree, households, province_cadre, signed_in):
    xlsx = pytest.importorskip("openpyxl")
    workbook = xlsx.Workbook()
    sheet = workbook.active
    sheet.append(ROSTER_HEADER)
    sheet.append([head_id(households[0]), "王一", dt.date(2026, 1, 5), "低保", "440106"])
    sheet.append([1.10105194912e17, "数字", dt.date(2026, 1, 5), "低保", ""])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = _upload(signed_in(province_cadre), buffer.getvalue(), name="roster.xlsx")
    assert response.status_code == 302
    snapshot = Snapshot.objects.get()
    assert (snapshot.rows_matched, snapshot.rows_rejected) == (1, 1)
    assert "Excel" in snapshot.rejected_rows[0]["problem"]


BAD_INPUTS = {
    "unknown columns": (csv_bytes(ROSTER_HEADER + ["备注", "Salary"], [["x"] * 7]), "roster.csv",
                        ["Unknown columns: 备注、Salary", "身份证号、姓名、纳入日期、救助类别、行政区划"]),
    "xlsx that is not one": (b"id,name\n1,2\n", "roster.xlsx", ["is not one"]),
    "csv that is a workbook": (b"PK\x03\x04" + b"\0" * 100, "roster.csv", ["content is binary"]),
    "empty": (b"", "roster.csv", ["The file is empty"]),
    "header only": (csv_bytes(ROSTER_HEADER, []), "roster.csv", ["no data rows"]),
    "wrong template": (csv_bytes(["身份证号", "姓名", "车辆类型", "号牌"], [["x", "y", "小型汽车", "粤A1"]]),
                       "vehicles.csv", ["template of “机动车登记”"]),
    "missing required": (csv_bytes(["身份证号", "姓名"], [["x", "y"]]), "roster.csv",
                         ["Required columns are missing: 纳入日期、救助类别"]),
    "old xls": (b"\xd0\xcf\x11\xe0" + b"\0" * 100, "roster.xls", [".xls"]),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_is_refused_with_a_clear_message(case, tree, households, province_cadre, signed_in):
    content, name, expected = BAD_INPUTS[case]
    response = _upload(signed_in(province_cadre), content, name=name)
    assert response.status_code == 200
    page = response.content.decode()
    for text in expected:
        assert text in page
    assert not Snapshot.objects.exists() and not SnapshotRow.objects.exists()


def test_bad_input_through_the_api(tree, households, province_cadre):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(province_cadre)
    response = client.post("/api/v1/data-sets/", {"source": "dibao_roster", "as_of": "2026-01-31", "rows": [
        {"身份证号": head_id(households[0]), "纳入日期": "2026-01-05", "救助类别": "低保", "Salary": "1"}]},
        format="json")
    assert response.status_code == 400 and "未知列：Salary" in str(response.data)
    response = client.post("/api/v1/data-sets/", {"source": "dibao_roster", "as_of": "2026-01-31",
                                                  "file": SimpleUploadedFile("r.csv", b"")}, format="multipart")
    assert response.status_code == 400 and "文件为空" in str(response.data)
    assert not Snapshot.objects.exists()


def test_api_push_json_rows(tree, households, province_cadre):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(province_cadre)
    response = client.post("/api/v1/data-sets/", {"source": "dibao_roster", "as_of": "2026-01-31", "rows": [
        {"id_number": head_id(households[0]), "enrolled_on": "2026-01-05", "kind": "dibao"},
        {"id_number": head_id(households[4]), "enrolled_on": "2026-01-05", "kind": "dibao"}]}, format="json")
    assert response.status_code == 201, response.data
    assert (response.data["rows_matched"], response.data["rows_discarded"]) == (1, 1)
    assert response.data["channel"] == "api"


def test_parallel_scan_gives_the_same_snapshot(tree, households, province_cadre, tmp_path):
    ids = [head_id(h) for h in households[:3]]
    rows = [[synthetic_resident_id("440106", dt.date(1960, 1, 1) + dt.timedelta(days=i), i % 1000), "某", "2026-01-01",
             "低保", ""] for i in range(3000)]
    for n, value in enumerate(ids):
        rows.insert(700 * (n + 1), [value, "王", "2026-01-02", "低保", ""])
    rows.insert(2500, ["110105194912310021", "错", "2026-01-02", "低保", ""])
    path = tmp_path / "big.csv"
    path.write_bytes(csv_bytes(ROSTER_HEADER, rows))
    source = DataSource.objects.get(code="dibao_roster")
    one = snapshot_load(province_cadre, tree.province, source, path=str(path), file_name="big.csv",
                        as_of=dt.date(2026, 1, 31), processes=1)
    two = snapshot_load(province_cadre, tree.province, source, path=str(path), file_name="big.csv",
                        as_of=dt.date(2026, 1, 31), processes=2)
    assert (two.rows_read, two.rows_matched, two.rows_rejected) == (one.rows_read, one.rows_matched,
                                                                    one.rows_rejected) == (3004, 3, 1)
    assert two.rejected_rows == one.rejected_rows == [{"row": 2502, "id": "",
                                                       "problem": "The check character of the ID number is wrong."}]
    assert sorted(SnapshotRow.objects.filter(snapshot=two).values_list("row_number", flat=True)) == sorted(
        SnapshotRow.objects.filter(snapshot=one).values_list("row_number", flat=True)) == [702, 1402, 2102]
