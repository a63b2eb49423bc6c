"""The request file for the civil-affairs check centre (核对中心), and the same content as JSON for its API.

The centre's own format is not public; this is ours, documented here and on the request page:

CSV, UTF-8 with BOM (the centre's Windows tools and Excel read the Chinese), or the same columns as .xlsx:

    核对编号        reference the centre echoes back in its result file (`<request number>-<seq>`)
    家庭编号        the household's archive number (the people of one family share it)
    姓名            the person's name
    证件类型        居民身份证 / 港澳台居民居住证 / 外国人永久居留身份证 / 出生医学证明
    证件号码        the full number (the centre matches on it: the only place it leaves the platform)
    与户主关系      本人 / 配偶 / 子女 / …
    核对项目        the items to check, separated by "、"
                    (低保, 社会保险, 住房公积金, 不动产, 车辆, 工商登记, 存款及有价证券, 纳税)
    授权书签署日期  the date the household signed the authorisation (家庭经济状况核对授权委托书)
    申请单位        the requesting union
    申请批次号      the request number

The file holds full ID numbers, so it is never stored: it is generated on demand for users with
`econcheck.add_checkrequest`, packed into a ZIP encrypted with AES-256 under a one-time password (the bank file's
scheme, `bangfu.funds.bankfiles`), and every export is in the access log with the SHA-256 of the ZIP and of the
clear table (the clear table's digest is stable for the same content, so a copy can be proven identical).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass

import pyzipper
from django.utils import timezone, translation

from bangfu.core.identity import DocumentType
from bangfu.funds.bankfiles import new_password

COLUMNS = ("核对编号", "家庭编号", "姓名", "证件类型", "证件号码", "与户主关系", "核对项目", "授权书签署日期",
           "申请单位", "申请批次号")
ITEM_NAMES_ZH = {
    "dibao": "低保", "social_insurance": "社会保险", "housing_fund": "住房公积金", "real_estate": "不动产",
    "vehicles": "车辆", "business": "工商登记", "deposits": "存款及有价证券", "tax": "纳税",
}
FORMATS = ("csv", "xlsx")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Person:
    reference: str
    archive_number: str
    name: str
    document_type: str
    id_number: str
    relation: str
    signed_on: str


@dataclass(frozen=True)
class RequestFile:
    content: bytes  # the encrypted ZIP
    password: str
    zip_name: str
    inner_name: str
    sha256: str  # of the ZIP as handed out
    table_sha256: str  # of the clear CSV (stable for the same content)
    count: int


def _zh(label) -> str:
    with translation.override("zh-hans"):
        return str(label)


def document_name_zh(code: str) -> str:
    return _zh(dict(DocumentType.CHOICES).get(code, code))


def relation_name_zh(code: str) -> str:
    from bangfu.registry.models.codes import code_label

    with translation.override("zh-hans"):
        return code_label("relation", code) or code


def _text(value) -> str:
    """A cell a spreadsheet cannot read as a formula."""
    text = " ".join(str(value or "").split())
    return "'" + text if text.startswith(_FORMULA_START) else text


def _may_leave():
    """Items whose household is still open with the economic-check authorisation in force today."""
    from django.db.models import Exists, OuterRef

    from bangfu.registry.models import OPEN_STATES, Consent, ConsentKind

    in_force = Consent.objects.filter(household=OuterRef("household_id"), kind=ConsentKind.ECONOMIC_CHECK,
                                      withdrawn_on__isnull=True, signed_on__lte=timezone.localdate())
    return Exists(in_force), {"household__state__in": OPEN_STATES}


def people(check_request) -> list[Person]:
    """The persons of the request with their full ID numbers (decrypted here, and only here).

    The services refuse a request with a household that may no longer be checked (`services.requests._may_send`,
    naming them); this filter is the last guard, so no full ID of such a household is ever decrypted here."""
    in_force, still_open = _may_leave()
    items = (check_request.items.filter(in_force, **still_open).select_related("member", "household")
             .order_by("seq"))
    rows = []
    for item in items:
        member = item.member
        rows.append(Person(
            reference=item.reference, archive_number=item.household.archive_number,
            name=member.name if member else "", document_type=member.document_type if member else "",
            id_number=member.identity_number if member else "", relation=item.relation,
            signed_on=item.consent_signed_on.isoformat()))
    return rows


def _table_rows(check_request, persons: list[Person]) -> list[list[str]]:
    items = "、".join(ITEM_NAMES_ZH.get(code, code) for code in check_request.items_checked)
    return [[p.reference, p.archive_number, _text(p.name), document_name_zh(p.document_type), p.id_number,
             relation_name_zh(p.relation), items, p.signed_on, _text(check_request.org.name), check_request.number]
            for p in persons]


def table_csv(check_request, persons: list[Person]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(_table_rows(check_request, persons))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def table_xlsx(check_request, persons: list[Person]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("核对申请")
    sheet.append(list(COLUMNS))
    for row in _table_rows(check_request, persons):
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value)
            cell.number_format = "@"  # text: Excel must not turn an ID into 1.1E+17
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _safe(number: str) -> str:
    return re.sub(r"[^\w.-]+", "_", number).strip("._") or "request"


def write_request_file(check_request, fmt: str = "csv") -> RequestFile:
    """The request file as an AES-256 encrypted ZIP with a new random password."""
    if fmt not in FORMATS:
        raise ValueError(fmt)
    persons = people(check_request)
    clear_csv = table_csv(check_request, persons)
    inner = clear_csv if fmt == "csv" else table_xlsx(check_request, persons)
    stem = f"{_safe(check_request.number)}-{timezone.localtime():%Y%m%d-%H%M%S}"
    password = new_password()
    buffer = io.BytesIO()
    with pyzipper.AESZipFile(buffer, "w", compression=pyzipper.ZIP_DEFLATED, encryption=pyzipper.WZ_AES) as zipped:
        zipped.setpassword(password.encode())
        zipped.setencryption(pyzipper.WZ_AES, nbits=256)
        zipped.writestr(f"{stem}.{fmt}", inner)
    content = buffer.getvalue()
    return RequestFile(content=content, password=password, zip_name=f"{stem}.zip", inner_name=f"{stem}.{fmt}",
                       sha256=hashlib.sha256(content).hexdigest(),
                       table_sha256=hashlib.sha256(clear_csv).hexdigest(), count=len(persons))


def request_payload(check_request) -> dict:
    """The same content as the file, as JSON for a centre system (full ID numbers: handle like the file)."""
    persons = people(check_request)
    return {
        "request": check_request.number,
        "union": check_request.org.name,
        "union_code": check_request.org.code,
        "items": list(check_request.items_checked),
        "table_sha256": hashlib.sha256(table_csv(check_request, persons)).hexdigest(),
        "persons": [
            {"reference": p.reference, "household": p.archive_number, "name": p.name,
             "document_type": p.document_type, "id_number": p.id_number, "relation": p.relation,
             "authorisation_signed_on": p.signed_on}
            for p in persons
        ],
    }
