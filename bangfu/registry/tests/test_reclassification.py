"""Bulk re-classification with review: a new line proposes changes; the reviewer applies them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.urls import reverse

from bangfu.orgs.models import LocalStandard
from bangfu.registry.classification import refresh
from bangfu.registry.models import Classification, ReclassificationRun, TimelineEvent
from bangfu.registry.services.reclassification import reclassification_start
from bangfu.registry.tests.factories import make_household

ON = dt.date(2026, 10, 31)


def _verified(client, user):
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_static.models import StaticDevice

    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = StaticDevice.objects.create(user=user, name="b", confirmed=True).persistent_id
    session.save()
    return client


def test_new_line_run_review_and_apply(tree, county_reviewer, client):
    LocalStandard.objects.create(division_id="440100", kind="living_line", amount=Decimal("1000"),
                                 effective_from=dt.date(2025, 1, 1), source="t")
    h = make_household(tree.grassroots, monthly_wage=Decimal("1100"), as_of=ON)  # 1,100 ≥ 1,000; net > L: none
    refresh(h, ON)
    h.refresh_from_db()
    assert h.category == "none"
    LocalStandard.objects.create(division_id="440100", kind="living_line", amount=Decimal("1200"),
                                 effective_from=dt.date(2026, 7, 1), source="t")
    run = reclassification_start("line", division_code="440100", on=ON)
    rows = list(run.rows.all())
    assert [(r.household_id, r.old_category, r.new_category) for r in rows] == [(h.pk, "none", "A_dibao")]
    client = _verified(client, county_reviewer)
    page = client.get(reverse("registry:reclassification-detail", kwargs={"pk": run.pk}))
    assert page.status_code == 200 and h.archive_number in page.content.decode()
    client.post(reverse("registry:reclassification-detail", kwargs={"pk": run.pk}), {"action": "apply"})
    run.refresh_from_db()
    h.refresh_from_db()
    assert run.status == ReclassificationRun.Status.APPLIED and h.category == "A_dibao"
    assert Classification.objects.get(household=h, is_current=True).run_id == run.pk
    assert TimelineEvent.objects.filter(household=h, kind="reclassified").count() == 2
    detail = client.get(reverse("registry:detail", kwargs={"pk": h.pk})).content.decode()
    assert 'data-testid="classification-panel"' in detail
