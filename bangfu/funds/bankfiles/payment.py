"""The bank payment file (an AES-256 encrypted ZIP holding the CSV) and its one download (see the package)."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import pyzipper
from django.conf import settings
from django.utils import timezone, translation

from bangfu.funds.models import AidCategory
from bangfu.funds.money import to_yuan

# --- the payment file -----------------------------------------------------------------------------------

PAYMENT_COLUMNS = ("序号", "付款编号", "户名", "账号", "开户行", "金额", "用途", "批次号")
_UNAMBIGUOUS = "ABCDEFGHJKMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"  # no 0/O, 1/l/I look-alikes
PASSWORD_LENGTH = 12
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class PaymentLine:
    pk: int
    payee_name: str
    account: str
    bank: str
    amount_fen: int
    category: str
    item: str


@dataclass(frozen=True)
class PaymentFile:
    content: bytes  # the encrypted ZIP
    password: str
    zip_name: str
    csv_name: str
    sha256: str  # of the ZIP, as handed out
    csv_sha256: str  # of the clear CSV inside it
    count: int
    total_fen: int


def new_password() -> str:
    return "".join(secrets.choice(_UNAMBIGUOUS) for _i in range(PASSWORD_LENGTH))


def _text(value) -> str:
    """A text cell that a spreadsheet cannot read as a formula (the file may be opened in Excel)."""
    text = " ".join(str(value or "").split())
    return "'" + text if text.startswith(_FORMULA_START) else text


def category_name_zh(code: str) -> str:
    """The category's Chinese name whatever the user's language (the bank file is always in Chinese)."""
    if code not in AidCategory.values:
        return code
    with translation.override("zh-hans"):
        label = str(AidCategory(code).label)
    found = re.search(r"[（(]([^()（）]+)[)）]", label)
    return found.group(1) if found else label


def _safe_name(number: str) -> str:
    return re.sub(r"[^\w.-]+", "_", number).strip("._") or "batch"


def payment_csv(batch_number: str, lines: list[PaymentLine]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(PAYMENT_COLUMNS)
    for number, line in enumerate(lines, start=1):
        purpose = category_name_zh(line.category) + (f" {line.item}" if line.item else "")
        writer.writerow([number, line.pk, _text(line.payee_name), line.account, _text(line.bank),
                         f"{to_yuan(line.amount_fen):.2f}", _text(purpose), batch_number])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def write_payment_file(batch_number: str, lines: list[PaymentLine]) -> PaymentFile:
    """The bank payment file of one batch, as an AES-256 encrypted ZIP with a new random password."""
    clear = payment_csv(batch_number, lines)
    password = new_password()
    stem = f"{_safe_name(batch_number)}-{timezone.localtime():%Y%m%d-%H%M%S}"
    buffer = io.BytesIO()
    with pyzipper.AESZipFile(buffer, "w", compression=pyzipper.ZIP_DEFLATED, encryption=pyzipper.WZ_AES) as zipped:
        zipped.setpassword(password.encode())
        zipped.setencryption(pyzipper.WZ_AES, nbits=256)
        zipped.writestr(f"{stem}.csv", clear)
    content = buffer.getvalue()
    return PaymentFile(
        content=content, password=password, zip_name=f"{stem}.zip", csv_name=f"{stem}.csv",
        sha256=hashlib.sha256(content).hexdigest(), csv_sha256=hashlib.sha256(clear).hexdigest(),
        count=len(lines), total_fen=sum(line.amount_fen for line in lines),
    )


# --- keeping the encrypted ZIP for one download ------------------------------------------------------------

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")


def download_ttl_seconds() -> int:
    return int(getattr(settings, "BANGFU_BANK_FILE_TTL_MINUTES", 10)) * 60


def _stash_dir() -> Path:
    folder = Path(settings.MEDIA_ROOT) / "bankfiles"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def purge_expired() -> None:
    """Remove encrypted files nobody fetched in time (each is useless without its password anyway)."""
    limit = time.time() - download_ttl_seconds()
    for path in _stash_dir().glob("*.zip"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except FileNotFoundError:  # fetched or purged meanwhile
            pass


def stash(content: bytes) -> str:
    """Keep the encrypted ZIP under MEDIA_ROOT (outside the web root) and return its random token."""
    purge_expired()
    token = secrets.token_urlsafe(24)
    path = _stash_dir() / f"{token}.zip"
    with open(path, "xb") as handle:
        handle.write(content)
    return token


def take(token: str):
    """Open the stashed file for reading and remove it (a second request finds nothing); None if gone."""
    if not _TOKEN.match(token or ""):
        return None
    path = _stash_dir() / f"{token}.zip"
    try:
        if path.stat().st_mtime < time.time() - download_ttl_seconds():
            path.unlink()
            return None
        handle = open(path, "rb")  # noqa: SIM115 - the FileResponse closes it
    except FileNotFoundError:
        return None
    path.unlink()  # the open handle still reads it (POSIX); nobody else can
    return handle
