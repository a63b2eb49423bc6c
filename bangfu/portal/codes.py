"""One-time codes by SMS and invitation codes: generation, keyed hashing, checking and rate limits.

Numbers are settings with defaults (DOMAIN.md: every number is a setting):

* `PORTAL_LOGIN_CODE_MINUTES` (5): life of a sign-in code;
* `PORTAL_ACTIVATION_CODE_HOURS` (72): life of an activation code sent when the union opens the account;
* `PORTAL_CODE_MAX_ATTEMPTS` (5): wrong tries before a code is dead (a new one must be requested);
* `PORTAL_CODE_RESEND_SECONDS` (60) and `PORTAL_CODE_MAX_PER_HOUR` (5): how often codes may be sent to one account;
* `PORTAL_INVITATION_DAYS` (14): life of an invitation code.

Codes are stored as an HMAC-SHA256 under the site's secret key (`salted_hmac`), bound to the account and purpose,
so a leaked table gives neither the codes nor a way to test guesses offline without the key.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from bangfu.portal.models import CodePurpose, OneTimeCode

CODE_DIGITS = 6
# Invitation codes are read from paper: no 0/O, 1/I/L.
INVITATION_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
INVITATION_LENGTH = 12
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


def setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def login_code_life() -> dt.timedelta:
    return dt.timedelta(minutes=setting("PORTAL_LOGIN_CODE_MINUTES", 5))


def activation_code_life() -> dt.timedelta:
    return dt.timedelta(hours=setting("PORTAL_ACTIVATION_CODE_HOURS", 72))


def max_attempts() -> int:
    return setting("PORTAL_CODE_MAX_ATTEMPTS", 5)


def invitation_life() -> dt.timedelta:
    return dt.timedelta(days=setting("PORTAL_INVITATION_DAYS", 14))


def normalise_phone(value: str) -> str:
    """Digits of a mainland mobile number ("+86 138-0013-8000" → "13800138000"); "" when it is not one."""
    digits = re.sub(r"[\s\-()]", "", value or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    return digits if MOBILE_RE.match(digits) else ""


def worker_username(phone: str) -> str:
    """The username of the worker account signing in with `phone`: derived from the number (so the login form
    finds the account), but not the number itself (usernames appear in audit logs, phones only masked)."""
    return "w" + salted_hmac("bangfu.portal.username", phone).hexdigest()[:20]


def _hash(user_id: int, purpose: str, code: str) -> str:
    return salted_hmac("bangfu.portal.code", f"{user_id}:{purpose}:{code}").hexdigest()


def invitation_hash(code: str) -> str:
    return salted_hmac("bangfu.portal.invitation", normalise_invitation(code)).hexdigest()


def normalise_invitation(code: str) -> str:
    return re.sub(r"[\s\-]", "", code or "").upper()


def new_invitation_code() -> str:
    """E.g. `K7PM-Q2XD-9HTA` (12 characters of 31: about 59 bits)."""
    raw = "".join(secrets.choice(INVITATION_ALPHABET) for _ in range(INVITATION_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, INVITATION_LENGTH, 4))


def issue_code(user, purpose: str) -> str:
    """A fresh code for `user` (earlier open codes of the same purpose die with it); returns the clear code,
    which only goes into the SMS."""
    now = timezone.now()
    life = login_code_life() if purpose == CodePurpose.LOGIN else activation_code_life()
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    OneTimeCode.objects.filter(user=user, purpose=purpose, used_at=None).update(expires_at=now)
    OneTimeCode.objects.create(user=user, purpose=purpose, code_hash=_hash(user.pk, purpose, code), created_at=now,
                               expires_at=now + life)
    return code


def send_wait_seconds(user, purpose: str) -> int:
    """Seconds until another code may be sent to this account (0: now)."""
    now = timezone.now()
    sent = list(OneTimeCode.objects.filter(user=user, purpose=purpose, created_at__gte=now - dt.timedelta(hours=1))
                .order_by("-created_at").values_list("created_at", flat=True))
    waits = [0]
    if sent:
        waits.append(setting("PORTAL_CODE_RESEND_SECONDS", 60) - (now - sent[0]).total_seconds())
    if len(sent) >= setting("PORTAL_CODE_MAX_PER_HOUR", 5):
        waits.append((sent[setting("PORTAL_CODE_MAX_PER_HOUR", 5) - 1] + dt.timedelta(hours=1) - now).total_seconds())
    return max(0, int(max(waits) + 0.999))


@dataclass(frozen=True)
class CodeCheck:
    """The outcome of checking a code: ok, or why not ("none", "expired", "too_many", "wrong") and the tries left."""

    ok: bool
    reason: str = ""
    tries_left: int = 0


@transaction.atomic
def check_code(user, purpose: str, code: str) -> CodeCheck:
    """Check `code` against the account's latest code of `purpose`, counting a wrong try; a right one is used up."""
    row = (OneTimeCode.objects.select_for_update().filter(user=user, purpose=purpose, used_at=None)
           .order_by("-created_at", "-id").first())
    if row is None:
        return CodeCheck(False, "none")
    if row.attempts >= max_attempts():
        return CodeCheck(False, "too_many")
    if row.expires_at <= timezone.now():
        return CodeCheck(False, "expired")
    code = re.sub(r"\s", "", str(code or ""))
    if constant_time_compare(_hash(user.pk, purpose, code), row.code_hash):
        row.used_at = timezone.now()
        row.save(update_fields=["used_at"])
        return CodeCheck(True)
    row.attempts += 1
    row.save(update_fields=["attempts"])
    left = max_attempts() - row.attempts
    return CodeCheck(False, "wrong" if left > 0 else "too_many", left)
