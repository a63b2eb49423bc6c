"""Visit photos: the registry's evidence checks (`bangfu.registry.files`), narrowed to pictures.

The size limit (`BANGFU_MAX_UPLOAD_MB`), the type read from the bytes with `filetype`, the name that must agree
with the bytes and the SHA-256 are the registry's `check_upload`; a photo must moreover be JPEG or PNG (a PDF is
evidence, not a photo). Photos are stored like evidence: in the default storage under `MEDIA_ROOT` (outside the
web root, no MEDIA_URL) with a random name, and served only by the scoped, audited view
`helpers:visit_photo`.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu.registry import files

PHOTO_TYPES = frozenset({"image/jpeg", "image/png"})
PHOTO_ACCEPT = ".jpg,.jpeg,.png,image/jpeg,image/png"


def check_photo(uploaded) -> files.CheckedFile:
    """The registry's upload checks, then JPEG or PNG only. Raises ValidationError (a list of messages)."""
    try:
        checked = files.check_upload(uploaded)
    except ValidationError as error:
        if any(e.code == "bad_type" for e in error.error_list):
            raise _not_a_photo() from None
        raise
    if checked.content_type not in PHOTO_TYPES:
        raise _not_a_photo()
    return checked


def _not_a_photo() -> ValidationError:
    return ValidationError(_("Only JPEG and PNG photos are accepted; the content of this file is neither."),
                           code="bad_type")


def store_photo(uploaded, checked: files.CheckedFile) -> str:
    """Save the checked bytes under a random name; returns the stored name (kept on the visit)."""
    uploaded.seek(0)
    folder = timezone.localdate().strftime("visits/%Y/%m/")
    return default_storage.save(folder + files.random_name(checked), uploaded)


def open_photo(name: str):
    return default_storage.open(name, "rb")


def delete_photo(name: str) -> None:
    if name:
        default_storage.delete(name)
