"""Evidence files: real type from the bytes, size limit, storage outside the web root under a random
name, scoped and audited download; the checklist per cause."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from bangfu.audit.models import AccessLogEntry
from bangfu.registry.models import Attachment, Consent, State
from bangfu.registry.services.archive import consent_record
from bangfu.registry.services.evidence import attachment_add, evidence_checklist
from bangfu.registry.tests.factories import PDF_BYTES, PNG_BYTES, make_household

pytestmark = pytest.mark.django_db

EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200
HTML_BYTES = b"<!doctype html><html><script>alert(1)</script></html>"
JPEG_BYTES = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "protected"
    settings.BANGFU_MAX_UPLOAD_MB = 1
    return settings.MEDIA_ROOT


def upload(name, content):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def test_good_files_are_stored_with_random_names_and_sha256(tree, media):
    household = make_household(tree.grassroots, state=State.DRAFT)
    for name, content, mime in [("证明.pdf", PDF_BYTES, "application/pdf"), ("a.PNG", PNG_BYTES, "image/png"),
                                ("b.jpeg", JPEG_BYTES, "image/jpeg")]:
        attachment = attachment_add(household, upload(name, content), kind="id_hukou")
        assert attachment.content_type == mime  # from the bytes, not the browser's claim
        assert attachment.sha256 == hashlib.sha256(content).hexdigest()
        assert attachment.original_name == name and name not in attachment.file.name
        stored = Path(attachment.file.path)
        assert stored.is_file() and media in stored.parents
        assert stored.read_bytes() == content


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("setup.pdf", EXE_BYTES, "bad_type"),  # an .exe renamed .pdf
        ("page.pdf", HTML_BYTES, "bad_type"),  # an HTML page renamed .pdf
        ("photo.pdf", PNG_BYTES, "mismatch"),  # a real PNG named .pdf
        ("doc.png", PDF_BYTES, "mismatch"),
        ("empty.pdf", b"", "empty"),
    ],
)
def test_disguised_or_empty_files_are_refused(tree, name, content, code):
    household = make_household(tree.grassroots, state=State.DRAFT)
    with pytest.raises(ValidationError) as error:
        attachment_add(household, upload(name, content), kind="id_hukou")
    assert "file" in error.value.message_dict
    assert Attachment.objects.count() == 0


def test_oversized_file_refused(tree, settings):
    household = make_household(tree.grassroots, state=State.DRAFT)
    big = PDF_BYTES + b"0" * (settings.BANGFU_MAX_UPLOAD_MB * 1024 * 1024)
    with pytest.raises(ValidationError) as error:
        attachment_add(household, upload("big.pdf", big), kind="id_hukou")
    assert "file" in error.value.message_dict
    assert Attachment.objects.count() == 0


def test_upload_page_shows_field_errors_and_saves_nothing(client, tree, grassroots_cadre):
    household = make_household(tree.grassroots, state=State.DRAFT)
    client.force_login(grassroots_cadre)
    url = reverse("registry:attachments", args=[household.pk])
    response = client.post(url, {"kind": "id_hukou", "file": upload("x.pdf", HTML_BYTES)})
    assert response.status_code == 200 and 'data-testid="error-file"' in response.content.decode()
    response = client.post(url, {"kind": "id_hukou", "file": upload("x.pdf", PNG_BYTES + b"")})
    assert 'data-testid="error-file"' in response.content.decode()
    assert Attachment.objects.count() == 0
    response = client.post(url, {"kind": "id_hukou", "file": upload("身份证.pdf", PDF_BYTES)})
    assert response.status_code == 302
    assert Attachment.objects.count() == 1


def test_download_is_scoped_audited_and_an_attachment(client, tree, grassroots_cadre, outsider):
    household = make_household(tree.grassroots, state=State.DRAFT)
    attachment = attachment_add(household, upload("诊断.pdf", PDF_BYTES), kind="diagnosis")
    url = reverse("registry:attachment_download", args=[household.pk, attachment.pk])
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.force_login(grassroots_cadre)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"
    entry = AccessLogEntry.objects.filter(object_type="registry.attachment", object_id=str(attachment.pk)).get()
    assert entry.user == grassroots_cadre and entry.action == "view"
    # The attachment of another household under this household's URL: 404.
    other = make_household(tree.grassroots, state=State.DRAFT)
    assert client.get(reverse("registry:attachment_download", args=[other.pk, attachment.pk])).status_code == 404


def test_checklist_per_cause(tree):
    household = make_household(tree.grassroots, state=State.DRAFT, main_cause="6", secondary=("9",))
    rows = {row["code"]: row for row in evidence_checklist(household)}
    # Cause 6 needs id_hukou, diagnosis, medical_receipts; cause 9 adds student_card and school_fees.
    assert set(rows) == {"id_hukou", "diagnosis", "medical_receipts", "student_card", "school_fees"}
    assert not any(row["ok"] for row in rows.values())
    attachment_add(household, upload("d.pdf", PDF_BYTES), kind="diagnosis")
    rows = {row["code"]: row for row in evidence_checklist(household)}
    assert rows["diagnosis"]["ok"] and not rows["id_hukou"]["ok"]


def test_consent_with_a_scan_and_a_bad_scan(tree, grassroots_cadre):
    import datetime as dt

    household = make_household(tree.grassroots, state=State.DRAFT)
    data = {"kind": "economic_check", "signed_on": dt.date.today(), "signed_by_name": "张三"}
    with pytest.raises(ValidationError) as error:
        consent_record(household, data, actor=grassroots_cadre, scan=upload("auth.pdf", EXE_BYTES))
    assert "scan" in error.value.message_dict
    assert Consent.objects.count() == 0 and Attachment.objects.count() == 0
    consent = consent_record(household, data, actor=grassroots_cadre, scan=upload("auth.pdf", PDF_BYTES))
    assert consent.scan.kind == "consent_scan" and consent.scan.sha256 == hashlib.sha256(PDF_BYTES).hexdigest()


def test_closed_archive_refuses_uploads(tree):
    household = make_household(tree.grassroots, state=State.REFUSED)
    with pytest.raises(ValidationError):
        attachment_add(household, upload("a.pdf", PDF_BYTES), kind="id_hukou")
    assert Attachment.objects.count() == 0
