"""Building import files for tests."""

from __future__ import annotations

import csv
import datetime as dt
import io

from django.core.files.uploadedfile import SimpleUploadedFile

from bangfu.core.identity import synthetic_resident_id
from bangfu.imports.columns import COLUMNS

HEADERS = [c.header for c in COLUMNS]
KEYS = [c.key for c in COLUMNS]


def pid(n: int, birth=dt.date(1980, 5, 17), area="440106") -> str:
    return synthetic_resident_id(area, birth + dt.timedelta(days=n // 500), n % 1000)


def household_rows(n: int, org_code: str, size: int = 3, **head_extra) -> list[dict]:
    """A household: the head's row with the household facts, and size-1 members."""
    head_id = pid(2 * n * 10 + 1)
    head = {"head_identity": head_id, "relation": "本人", "name": f"王{n}强", "identity_number": head_id,
            "work_status": "失业", "health": "良好", "monthly_income_declared": "1,200元", "phone": "13800138000",
            "org_code": org_code, "division": "440106", "housing_type": "租房", "housing_area": "45.5",
            "bank_account": "6222020200001234567", "bank_account_holder": f"王{n}强", "main_cause": "下岗失业",
            "secondary_causes": "重大疾病", **head_extra}
    rows = [head]
    for i in range(1, size):
        member_id = pid(2 * n * 10 + 1 + 2 * i, birth=dt.date(2010, 3, 1))
        rows.append({"head_identity": head_id, "relation": "子女", "name": f"王{n}小{i}", "identity_number": member_id,
                     "is_student": "是", "school_stage": "初中"})
    return rows


def csv_bytes(rows: list[dict], *, encoding: str = "utf-8-sig", headers=None) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers or HEADERS)
    for row in rows:
        writer.writerow([row.get(key, "") for key in KEYS])
    return buffer.getvalue().encode(encoding)


def upload(data: bytes, name: str = "archives.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")
