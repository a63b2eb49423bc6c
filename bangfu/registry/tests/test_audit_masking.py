"""The change log of archives never holds a clear name, ID number, phone or diagnosis (DOMAIN.md §9)."""

from __future__ import annotations

import datetime as dt
import json

from bangfu.audit.models import ChangeLogEntry
from bangfu.core import context
from bangfu.core.identity import synthetic_resident_id
from bangfu.registry.models import Member
from bangfu.registry.tests.factories import make_household


def test_member_changes_are_logged_masked(tree, grassroots_cadre):
    household = make_household(tree.grassroots, name="欧阳建国")
    number = synthetic_resident_id("440106", dt.date(1990, 1, 2), 271)
    with context.acting(user_id=grassroots_cadre.pk, username="cadre", org_id=tree.grassroots.pk, source="request"):
        member = Member(household=household, relation="spouse", name="司马春花", sex="F",
                        birth_date=dt.date(1990, 1, 2), diagnosis="乳腺癌术后")
        member.set_identity(number)
        member.set_phone("13812345678")
        member.save()
        member.name = "司马秋月"
        member.save()
    logged = json.dumps(list(ChangeLogEntry.objects.filter(object_id=str(member.pk)).values_list("changes", flat=True)),
                        ensure_ascii=False)
    for clear in ("司马春花", "司马秋月", number, "13812345678", "乳腺癌术后"):
        assert clear not in logged
    assert "司马**" in logged  # the compound surname is kept, the given name masked
