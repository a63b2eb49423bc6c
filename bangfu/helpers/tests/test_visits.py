"""Recording visits: bad input, who may record, the photo (type from the bytes, scoped and audited download)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from bangfu.accounts.roles import Role
from bangfu.audit.models import AccessLogEntry
from bangfu.helpers.models import Visit
from bangfu.helpers.rules import may_record_visit
from bangfu.helpers.services import assign_helper, record_visit
from bangfu.helpers.tests.conftest import household_since
from bangfu.registry.models import State, TimelineEvent
from bangfu.registry.tests.factories import PDF_BYTES, PNG_BYTES

pytestmark = pytest.mark.django_db
JPEG_BYTES = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffdb004300") + b"\0" * 64 + bytes.fromhex("ffd9")


def _visit(household, actor, on, **extra):
    fields = {"visitors": "王干事", "findings": "家中老人身体尚可", **extra}
    return record_visit(household, visited_on=on, actor=actor, **fields)


def test_a_visit_is_recorded_with_its_assignment_and_a_timeline_row(household, helper, grassroots_cadre, today):
    assignment = assign_helper(household, mode="pairing", helper=helper, helper_kind="branch_cadre",
                               starts_on=today - dt.timedelta(days=20), actor=grassroots_cadre)
    visit = _visit(household, helper, today - dt.timedelta(days=2), problems_solved="申请了临时救助")
    assert visit.assignment == assignment and visit.recorded_by == helper
    event = TimelineEvent.objects.get(household=household, kind="visit_recorded")
    assert event.detail["visited_on"] == str(today - dt.timedelta(days=2)) and "findings" not in event.detail


def test_a_visit_before_the_household_existed_is_refused(household, grassroots_cadre, today):
    with pytest.raises(ValidationError) as refused:
        _visit(household, grassroots_cadre, today - dt.timedelta(days=401))
    assert "exists only since" in refused.value.message_dict["visited_on"][0]
    assert not Visit.objects.exists() and not TimelineEvent.objects.filter(kind="visit_recorded").exists()


def test_the_application_date_counts_when_it_is_earlier(tree, grassroots_cadre, today):
    household = household_since(tree.grassroots, 5, applied_on=today - dt.timedelta(days=30))
    assert _visit(household, grassroots_cadre, today - dt.timedelta(days=30)).pk
    with pytest.raises(ValidationError):
        _visit(household, grassroots_cadre, today - dt.timedelta(days=31))


def test_a_visit_in_the_future_is_refused(household, grassroots_cadre, today):
    with pytest.raises(ValidationError) as refused:
        _visit(household, grassroots_cadre, today + dt.timedelta(days=1))
    assert "cannot be in the future" in refused.value.message_dict["visited_on"][0]
    assert not Visit.objects.exists()


def test_missing_text_and_closed_archives_are_refused(tree, household, grassroots_cadre, today):
    with pytest.raises(ValidationError) as refused:
        _visit(household, grassroots_cadre, today, visitors=" ", findings="")
    assert set(refused.value.message_dict) == {"visitors", "findings"}
    closed = household_since(tree.grassroots, 50, state=State.EXITED)
    with pytest.raises(ValidationError) as refused:
        _visit(closed, grassroots_cadre, today)
    assert "closed" in refused.value.messages[0]
    assert not Visit.objects.exists()


def test_helpers_record_only_for_their_own_households(tree, household, helper, helper_b, grassroots_cadre, outsider,
                                                     today):
    counsellor = tree.user("couns", tree.county, Role.COUNSELLOR)
    assign_helper(household, mode="pairing", helper=helper, helper_kind="branch_cadre", starts_on=today,
                  actor=grassroots_cadre)
    assert may_record_visit(helper, household) and not may_record_visit(helper_b, household)
    assert may_record_visit(grassroots_cadre, household) and may_record_visit(counsellor, household)
    assert not may_record_visit(outsider, household)
    with pytest.raises(ValidationError) as refused:
        _visit(household, helper_b, today)
    assert "current responsible helper" in refused.value.messages[0]
    assert not Visit.objects.exists()


def test_photos_must_be_jpeg_or_png_from_the_bytes(household, grassroots_cadre, today):
    cases = [
        (SimpleUploadedFile("scan.pdf", PDF_BYTES), "Only JPEG and PNG photos"),
        (SimpleUploadedFile("photo.jpg", b"MZ\x90\x00" + b"\0" * 200), "Only JPEG and PNG photos"),
        (SimpleUploadedFile("photo.jpg", PNG_BYTES), "but its content is PNG"),
    ]
    for upload, text in cases:
        with pytest.raises(ValidationError) as refused:
            _visit(household, grassroots_cadre, today, photo=upload)
        assert text in refused.value.message_dict["photo"][0]
    assert not Visit.objects.exists()


def test_photo_too_big_is_refused(settings, household, grassroots_cadre, today):
    settings.BANGFU_MAX_UPLOAD_MB = 1
    big = SimpleUploadedFile("big.png", PNG_BYTES + b"\0" * (1024 * 1024))
    with pytest.raises(ValidationError) as refused:
        _visit(household, grassroots_cadre, today, photo=big)
    assert "at most 1 MB" in refused.value.message_dict["photo"][0]


def test_photo_is_stored_outside_the_web_root_and_served_scoped_and_audited(household, grassroots_cadre, outsider,
                                                                            signed_in, today, settings):
    visit = _visit(household, grassroots_cadre, today, photo=SimpleUploadedFile("p.jpeg", JPEG_BYTES))
    assert visit.photo.startswith("visits/") and visit.photo_content_type == "image/jpeg"
    assert default_storage.path(visit.photo).startswith(str(settings.MEDIA_ROOT))
    url = f"/helpers/visits/{visit.pk}/photo/"
    assert signed_in(outsider).get(url).status_code == 404
    response = signed_in(grassroots_cadre).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content) == JPEG_BYTES
    assert response["X-Content-Type-Options"] == "nosniff"
    assert AccessLogEntry.objects.filter(object_type="helpers.visit", object_id=str(visit.pk),
                                         user=grassroots_cadre).exists()
