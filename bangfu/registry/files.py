"""Evidence files: upload checks and storage (DOMAIN.md §2, §9).

* Size: at most `settings.BANGFU_MAX_UPLOAD_MB` (environment `BANGFU_MAX_UPLOAD_MB`, default 10).
* Type: decided from the file's bytes (the `filetype` library reads the magic numbers), never from the
  name or the browser's claim. Only PDF, JPEG and PNG are accepted, and the name's extension must agree
  with the bytes: an .exe or an HTML page renamed .pdf is refused.
* Storage: under `settings.MEDIA_ROOT` (outside the web root, no MEDIA_URL) with a random name; the
  original name is kept only as data. Files are served only by the scoped, audited download view.
* Integrity: the SHA-256 of the bytes is kept with the row.
"""

from __future__ import annotations

import hashlib
import math
import uuid
from dataclasses import dataclass
from pathlib import PurePath

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Accepted types: MIME type from the bytes -> extensions a file of that type may carry.
ALLOWED_TYPES: dict[str, tuple[str, ...]] = {
    "application/pdf": (".pdf",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
}
SNIFF_BYTES = 8192


@dataclass(frozen=True)
class CheckedFile:
    content_type: str
    extension: str
    size: int
    sha256: str
    original_name: str


def max_upload_bytes() -> int:
    return int(getattr(settings, "BANGFU_MAX_UPLOAD_MB", 10)) * 1024 * 1024


def _read_head(uploaded) -> bytes:
    uploaded.seek(0)
    head = uploaded.read(SNIFF_BYTES)
    uploaded.seek(0)
    return head


def check_upload(uploaded) -> CheckedFile:
    """Check one uploaded file (a Django UploadedFile or any file object with `name` and `size`).

    Raises ValidationError (a plain list of messages: the caller puts it under its file field).
    """
    if uploaded is None:
        raise ValidationError(_("Choose a file to upload."), code="required")
    name = PurePath(getattr(uploaded, "name", "") or "").name
    size = getattr(uploaded, "size", None)
    if size is None:
        uploaded.seek(0, 2)
        size = uploaded.tell()
        uploaded.seek(0)
    limit_mb = int(getattr(settings, "BANGFU_MAX_UPLOAD_MB", 10))
    if size > max_upload_bytes():
        raise ValidationError(
            _("The file is %(size).1f MB; at most %(limit)d MB is accepted.")
            # rounded up: a file just over the limit must not read as "1.0 MB; at most 1 MB"
            % {"size": math.ceil(size * 10 / 1024 / 1024) / 10, "limit": limit_mb},
            code="too_large",
        )
    if size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    kind = filetype.guess(_read_head(uploaded))
    mime = kind.mime if kind is not None else ""
    if mime not in ALLOWED_TYPES:
        raise ValidationError(
            _("Only PDF, JPEG and PNG files are accepted; the content of this file is not one of them."),
            code="bad_type",
        )
    extension = PurePath(name).suffix.lower()
    if extension not in ALLOWED_TYPES[mime]:
        raise ValidationError(
            _("The file name ends in “%(ext)s” but its content is %(type)s: rename or re-scan it.")
            % {"ext": extension or "-", "type": ALLOWED_TYPES[mime][0].lstrip(".").upper()},
            code="mismatch",
        )
    digest = hashlib.sha256()
    uploaded.seek(0)
    for chunk in iter(lambda: uploaded.read(1024 * 1024), b""):
        digest.update(chunk)
    uploaded.seek(0)
    return CheckedFile(content_type=mime, extension=ALLOWED_TYPES[mime][0], size=size,
                       sha256=digest.hexdigest(), original_name=_kept_name(name, extension))


MAX_NAME = 200  # Attachment.original_name


def _kept_name(name: str, extension: str) -> str:
    """The original name as data: control characters dropped, shortened to MAX_NAME keeping its extension."""
    name = "".join(char for char in name if char.isprintable()).strip()
    if len(name) > MAX_NAME:
        name = name[: MAX_NAME - len(extension)] + extension
    return name or f"file{extension}"


def random_name(checked: CheckedFile) -> str:
    """The stored name: random, with the extension the bytes justify (the upload_to adds the folder)."""
    return f"{uuid.uuid4().hex}{checked.extension}"
