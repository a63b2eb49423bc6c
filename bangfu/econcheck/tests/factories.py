"""Builders for economic-check tests: authorised households, requests, and result files as the centre sends them."""

from __future__ import annotations

import csv
import datetime as dt
import io

from bangfu.econcheck.resultfile import TEMPLATE_HEADERS
from bangfu.registry.models import Consent, ConsentKind, State
from bangfu.registry.tests.factories import make_household

SIGNED = dt.date(2026, 3, 2)


def authorised(org, *, state=State.ECONOMIC_CHECK, size=2, signed_on=SIGNED, withdrawn_on=None, **fields):
    """A household with the economic-check authorisation on file (withdrawn when `withdrawn_on` is given)."""
    household = make_household(org, state=state, size=size, **fields)
    Consent.objects.create(household=household, kind=ConsentKind.ECONOMIC_CHECK, signed_on=signed_on,
                           signed_by_name="张三", withdrawn_on=withdrawn_on)
    return household


def sent_request(actor, households, items=None):
    """A request for `households`, sent through the (file) connection."""
    from bangfu.econcheck.services import create_request, send_request

    check_request = create_request(actor, household_ids=[h.pk for h in households], items=items)
    send_request(check_request, actor=actor)
    check_request.refresh_from_db()
    return check_request


def row(item, *, id_number=None, checked_on="2026-04-01", dibao="否", since="", si="", hf="", homes="0",
        non_res="0", vehicles="0", businesses="0", employees="0", deposits="0", tax="", remarks=""):
    """One result row for `item` (its person's full ID number unless another is given)."""
    number = item.member.identity_number if id_number is None else id_number
    return [item.reference, number, checked_on, dibao, since, si, hf, homes, non_res, vehicles, businesses,
            employees, deposits, tax, remarks]


def result_csv(rows, *, headers=TEMPLATE_HEADERS, encoding="utf-8-sig") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def result_xlsx(rows, *, headers=TEMPLATE_HEADERS) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["家庭经济状况核对结果"])  # a title row above the header, as centres write them
    sheet.append(list(headers))
    for values in rows:
        sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
