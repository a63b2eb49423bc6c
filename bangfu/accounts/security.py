"""Read-side helpers of login security: lockout status, two-factor devices and the gates' next step.

The write actions (unlock, reset two-factor, confirm enrolment) are in `bangfu.accounts.services`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import qrcode
import qrcode.image.svg
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Sum
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

# --- lockout (django-axes, per username) -------------------------------------------------------


@dataclass(frozen=True)
class LockoutStatus:
    failures: int
    locked: bool
    until: dt.datetime | None


def lockout_status(user) -> LockoutStatus:
    """Failed sign-ins within the cool-off window, and whether they lock the account now.

    Mirrors axes' database handler: attempts newer than now − AXES_COOLOFF_TIME count, and the
    account is locked while their failures reach AXES_FAILURE_LIMIT.
    """
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    agg = AccessAttempt.objects.filter(username=user.get_username(), attempt_time__gte=since).aggregate(
        failures=Sum("failures_since_start"), last=Max("attempt_time")
    )
    failures = agg["failures"] or 0
    locked = failures >= settings.AXES_FAILURE_LIMIT
    until = agg["last"] + settings.AXES_COOLOFF_TIME if locked and agg["last"] else None
    return LockoutStatus(failures=failures, locked=locked, until=until)


# --- two-factor (django-otp TOTP) -----------------------------------------------------------------


def confirmed_totp_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).order_by("-pk").first()


def has_two_factor(user) -> bool:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()


def is_verified(user) -> bool:
    """True when this session passed two-factor (OTPMiddleware gives request.user `is_verified`)."""
    check = getattr(user, "is_verified", None)
    return bool(check()) if callable(check) else False


def qr_code_svg(text: str) -> str:
    """An inline SVG QR code (no image library needed, nothing leaves the server)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    return image.to_string(encoding="unicode")


def secret_for_display(device: TOTPDevice) -> str:
    """The base32 secret in groups of four, for apps where the QR code cannot be scanned."""
    from base64 import b32encode

    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


# --- the gates --------------------------------------------------------------------------------------


def pending_step(user) -> str | None:
    """The URL name of the security step this signed-in user must pass before anything else, or None.

    Order: an enrolled user proves the second factor first (so a stolen password alone cannot even
    change the password); then an initial password is changed; then a role that needs two-factor
    enrols a device. Demo mode relaxes all of them (the caller checks settings.DEMO_MODE).
    """
    needs_2fa = user.requires_two_factor and not is_verified(user)
    enrolled = needs_2fa and has_two_factor(user)
    if enrolled:
        return "accounts:two_factor"
    if user.must_change_password:
        return "accounts:password_change"
    if needs_2fa:
        return "accounts:two_factor_setup"
    return None


def locked_usernames(usernames) -> set[str]:
    """Which of these usernames are locked out now (one query for a whole page of users)."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    rows = (
        AccessAttempt.objects.filter(username__in=list(usernames), attempt_time__gte=since)
        .values("username").annotate(failures=Sum("failures_since_start"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
    )
    return {row["username"] for row in rows}


def enrolled_user_ids(user_ids) -> set[int]:
    """Which of these users have a confirmed two-factor device (one query)."""
    return set(
        TOTPDevice.objects.filter(user_id__in=list(user_ids), confirmed=True).values_list("user_id", flat=True)
    )
