"""Excel export of the household list: same scope and filters as the list, masked, audited, capped."""

from __future__ import annotations

import io

import pytest
from django.contrib.messages import get_messages
from openpyxl import load_workbook

from bangfu.accounts.roles import Role
from bangfu.audit.models import AccessLogEntry
from bangfu.registry.exports import _cell_text
from bangfu.registry.models import Household
from bangfu.registry.search import initials
from bangfu.registry.tests.factories import make_household

URL = "/households/export.xlsx"


def household(org, name="张三", **fields):
    return make_household(org, name=name, head_name_initials=initials(name), **fields)


def sheet_rows(response) -> list[tuple]:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return [tuple(row) for row in book.worksheets[0].iter_rows(values_only=True)]


def test_export_is_scoped_masked_and_audited(tree, login, grassroots_cadre):
    mine = household(tree.grassroots, name="李明", category="A_dibao", common_level="deep")
    other = household(tree.sibling, name="王强")
    head = mine.members.get(is_head=True)

    rows = sheet_rows(login(grassroots_cadre).get(URL))
    header, data = rows[0], rows[1:]
    assert len(data) == 1
    row = dict(zip(header, data[0], strict=True))
    flat = " ".join(str(v) for r in rows for v in r)
    assert mine.archive_number in flat and other.archive_number not in flat
    # Masked ID: first 6 + asterisks + last 4, computed here from the rule.
    number = head.identity_number
    assert number[:6] + "*" * 8 + number[-4:] in flat
    assert number not in flat and "李明" not in flat and "李*" in flat
    assert len(row) == len(header)

    entry = AccessLogEntry.objects.filter(action="export").latest("pk")
    assert entry.object_type == "registry.household" and entry.result == "ok"
    assert entry.detail["rows"] == 1 and entry.user_id == grassroots_cadre.pk


def test_export_uses_the_list_filters(tree, login, grassroots_cadre):
    a = household(tree.grassroots, category="A_dibao")
    b = household(tree.grassroots, category="A_marginal")
    rows = sheet_rows(login(grassroots_cadre).get(URL, {"category": "A_marginal"}))
    flat = " ".join(str(v) for r in rows for v in r)
    assert b.archive_number in flat and a.archive_number not in flat
    assert len(rows) == 2


def test_export_by_id_search_never_logs_the_clear_number(tree, login, grassroots_cadre):
    hh = household(tree.grassroots)
    household(tree.grassroots)
    number = hh.members.get(is_head=True).identity_number
    rows = sheet_rows(login(grassroots_cadre).get(URL, {"q": number}))
    assert len(rows) == 2
    entry = AccessLogEntry.objects.filter(action="export").latest("pk")
    assert number not in str(entry.detail) and entry.detail["filters"]["q"] == "<identity number>"


def test_outsider_export_has_none_of_the_grassroots_rows(tree, login, outsider):
    hh = household(tree.grassroots)
    rows = sheet_rows(login(outsider).get(URL, {"org": tree.grassroots.code}))
    assert rows[1:] == [] and hh.archive_number not in str(rows)


@pytest.mark.parametrize("role", [Role.FUND_MANAGER, Role.HELPER, Role.SYSTEM_ADMIN])
def test_export_without_permission_is_404(tree, client, role):
    household(tree.grassroots)
    user = tree.user(f"noexport_{role}", tree.grassroots, role)
    client.force_login(user)
    response = client.get(URL)
    assert response.status_code in (404, 302)
    if response.status_code == 302:  # a security step first (two-factor set-up), never the file
        assert "/accounts/" in response["Location"]
    assert not AccessLogEntry.objects.filter(action="export", result="ok").exists()


def test_export_over_the_cap_is_refused_with_a_message(tree, login, grassroots_cadre, settings):
    settings.REGISTRY_EXPORT_MAX_ROWS = 2
    for _ in range(3):
        household(tree.grassroots)
    client = login(grassroots_cadre)
    response = client.get(URL, {"state": "active"})
    assert response.status_code == 302 and response["Location"].startswith("/households/?")
    assert "state=active" in response["Location"]
    text = " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert "2" in text
    entry = AccessLogEntry.objects.filter(action="export").latest("pk")
    assert entry.result == "denied" and entry.detail["rows"] == 3
    # Narrowed under the cap, the same user gets the file.
    Household.objects.filter(pk=Household.objects.order_by("pk").first().pk).update(state="draft")
    assert len(sheet_rows(client.get(URL, {"state": "active"}))) == 3


def test_cells_that_look_like_formulas_stay_text():
    assert _cell_text("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert _cell_text("+1") == "'+1" and _cell_text("@x") == "'@x" and _cell_text("-2") == "'-2"
    assert _cell_text("张*") == "张*" and _cell_text(None) == ""
