"""Size limits of an uploaded data set: the file itself (BANGFU_CROSSCHECK_MAX_MB) and what an .xlsx unpacks to
(BANGFU_CROSSCHECK_MAX_UNPACKED_MB, and a sane packing ratio), checked before anything is read (a zip bomb)."""

from __future__ import annotations

import os
import struct
import zipfile
import zlib

from django.conf import settings
from django.utils.translation import gettext as _

from bangfu.crosscheck.reader import FileProblem

MB = 1024 * 1024
# unpacked / packed: a sheet of 100,000 roster rows packs 12 times (17 with every row the same), a zip bomb 1,000+
XLSX_MAX_RATIO = 100
XLSX_RATIO_FROM = 16 * MB  # below this unpacked size any ratio is harmless


def max_upload_bytes() -> int:
    return int(float(getattr(settings, "BANGFU_CROSSCHECK_MAX_MB", 200)) * MB)


def max_unpacked_bytes() -> int:
    """What an .xlsx may unpack to (its XML is read into memory): BANGFU_CROSSCHECK_MAX_UNPACKED_MB, 1 GB."""
    return int(float(getattr(settings, "BANGFU_CROSSCHECK_MAX_UNPACKED_MB", 1024)) * MB)


def check_size(size: int) -> None:
    """Refuse a file larger than BANGFU_CROSSCHECK_MAX_MB (default 200) before anything is read."""
    limit = max_upload_bytes()
    if size > limit:
        raise FileProblem(_("The file is too large (%(size)s MB; at most %(max)s MB are read). Leave out the "
                            "columns the template does not have, or ask the system administrator to raise the "
                            "limit.") % {"size": f"{size / MB:,.1f}", "max": f"{limit / MB:,.0f}"})


def _unpack_refused() -> FileProblem:
    return FileProblem(_("The Excel file unpacks to far more data than a data set holds (it may be a “zip bomb”): "
                         "it was not read. Open it in Excel, save it again as .xlsx, or save it as CSV and upload "
                         "that."))


def _inflated_size(handle, info: zipfile.ZipInfo, cap: int) -> int:
    """The real unpacked size of one member, counted by inflating its data (and discarding it) up to `cap`:
    the sizes a zip file declares may lie, and the reader behind `xlsx_rows` would trust them."""
    handle.seek(info.header_offset)
    header = handle.read(30)
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise _unpack_refused()
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    handle.seek(info.header_offset + 30 + name_length + extra_length)
    if info.compress_type == zipfile.ZIP_STORED:
        return info.compress_size
    if info.compress_type != zipfile.ZIP_DEFLATED:  # Excel writes only these two
        raise _unpack_refused()
    inflater, left, total = zlib.decompressobj(-15), info.compress_size, 0
    while left > 0 and not inflater.eof:
        chunk = handle.read(min(MB, left))
        if not chunk:
            break
        left -= len(chunk)
        while chunk:
            total += len(inflater.decompress(chunk, MB))
            if total > cap:
                raise _unpack_refused()
            chunk = inflater.unconsumed_tail
    return total


def check_xlsx(path: str) -> None:
    """Refuse an .xlsx whose unpacked size is over `max_unpacked_bytes()` or absurd for its packed size, before
    the workbook reader opens it: first by the sizes the archive declares, then by inflating every member."""
    limit, packed = max_unpacked_bytes(), max(os.path.getsize(path), 1)
    try:
        with zipfile.ZipFile(path) as archive, open(path, "rb") as handle:
            infos = archive.infolist()
            declared = sum(info.file_size for info in infos)
            if declared > limit or (declared > XLSX_RATIO_FROM and declared / packed > XLSX_MAX_RATIO):
                raise _unpack_refused()
            total = 0
            for info in infos:
                total += _inflated_size(handle, info, limit - total)
                if total > XLSX_RATIO_FROM and total / packed > XLSX_MAX_RATIO:
                    raise _unpack_refused()
    except (zipfile.BadZipFile, zlib.error, OSError, ValueError, struct.error):
        raise FileProblem(_("The Excel file could not be read (it is damaged). Open it in Excel, save it again "
                            "as .xlsx and upload that.")) from None
