"""Named write actions on accounts: passwords, roles, lockout and two-factor.

Views, forms, the admin and commands call these, so each rule is enforced in one place. Every action
that an administrator takes on someone else's account checks, inside the transaction, that the target
is within the actor's scope for that action (`User.objects.restrict(actor, action)`), and refuses to
act on the actor's own account where that would let one person grant themselves more.
The audit trail of these actions is written by the audit app (change log on User/UserRole; access
log entries for unlock and two-factor reset).
"""

from __future__ import annotations

import secrets

from axes.utils import reset as axes_reset
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import verify_token
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from bangfu.accounts.models import User, UserRole, validate_kind_roles, validate_role_combination
from bangfu.accounts.roles import Role
from bangfu.accounts.security import confirmed_totp_device
from bangfu.accounts.validators import CharacterClassValidator, validate_new_password
from bangfu.audit.access import log_access
from bangfu.orgs.models import Org

# Letters and digits that cannot be mistaken for each other when read aloud or copied from paper.
_LOWER = "abcdefghjkmnpqrstuvwxyz"
_UPPER = "ABCDEFGHJKMNPQRSTUVWXYZ"
_DIGITS = "23456789"


def generate_initial_password() -> str:
    """A random initial password such as `Kp7x-Mw3q-Tz9b` (≈ 70 bits), meeting the password policy."""
    alphabet = _LOWER + _UPPER + _DIGITS
    while True:
        groups = ["".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3)]
        password = "-".join(groups)
        if CharacterClassValidator.classes_in(password) >= 4:
            return password


def _target(actor, user, action: str) -> User:
    """The target user as the actor may act on it, locked for the transaction; else PermissionDenied.

    Views look targets up with `get_scoped_or_404` first (so outsiders get a 404); this check keeps
    the functions safe when called from elsewhere.
    """
    target = User.objects.restrict(actor, action).select_for_update(of=("self",)).filter(pk=user.pk).first()
    if target is None:
        raise PermissionDenied
    return target


# --- passwords ------------------------------------------------------------------------------------


@transaction.atomic
def user_set_password(user: User, password: str, *, must_change: bool = False) -> None:
    """Set a password through the whole policy (length, classes, username, common, last 5).

    Saving records the password in the history (django-password-validators' `password_changed`).
    `must_change=True` marks an initial password that its holder must replace at next sign-in.
    """
    validate_new_password(password, user)
    user.set_password(password)
    user.must_change_password = must_change
    user.password_changed_at = timezone.now()
    user.save(update_fields=["password", "must_change_password", "password_changed_at"])
    revoke_api_tokens(user)


def revoke_api_tokens(user: User) -> int:
    """Delete the user's API tokens (password change, lockout, two-factor reset)."""
    from rest_framework.authtoken.models import Token

    deleted, _details = Token.objects.filter(user=user).delete()
    return deleted


@transaction.atomic
def user_reset_password(actor, user: User) -> str:
    """A system administrator gives a user a new initial password; returns it (to be shown once)."""
    target = _target(actor, user, "change")
    if target.pk == actor.pk:
        raise PermissionDenied  # one's own password is changed on "my account", with the old password
    password = generate_initial_password()
    user_set_password(target, password, must_change=True)
    return password


# --- users and roles ------------------------------------------------------------------------------


@transaction.atomic
def user_create(
    actor, *, username: str, org: Org, kind: str, roles, full_name: str = "", phone: str = ""
) -> tuple[User, str]:
    """Create an account in the actor's subtree with its roles and a generated initial password.

    Returns the user and the initial password, which is shown once and never stored in clear.
    The holder must change it at first sign-in. Raises ValidationError (nothing saved) when the
    roles break separation of duties or do not fit the kind of account.
    """
    if not actor.has_role_permission("accounts.add_user"):
        raise PermissionDenied
    if not Org.objects.restrict(actor, "view").filter(pk=org.pk).exists():
        raise PermissionDenied
    roles = set(roles)
    validate_role_combination(roles)
    validate_kind_roles(kind, roles)
    password = generate_initial_password()
    user = User.objects.create_user(
        username=username,
        password=password,
        org=org,
        kind=kind,
        full_name=full_name,
        phone=phone,
        must_change_password=True,
    )
    for role in sorted(roles):
        UserRole.objects.create(user=user, role=role)
    if not User.objects.restrict(actor, "view").filter(pk=user.pk).exists():
        raise PermissionDenied  # still in scope after saving (rolls the whole creation back)
    return user, password


def _check_not_self(actor, target) -> None:
    if target.pk == actor.pk:
        raise ValidationError(_("You cannot change your own roles."), code="self_grant")


@transaction.atomic
def user_grant_role(actor, user: User, role: str) -> UserRole:
    """Grant one role, keeping system, security and audit administration in separate hands."""
    target = _target(actor, user, "change")
    _check_not_self(actor, target)
    held = set(target.roles.values_list("role", flat=True))
    existing = target.roles.filter(role=role).first()
    if existing is not None:
        return existing
    validate_role_combination(held | {role})
    validate_kind_roles(target.kind, held | {role})
    grant = UserRole.objects.create(user=target, role=role)
    user.refresh_roles()
    return grant


@transaction.atomic
def user_revoke_role(actor, user: User, role: str) -> bool:
    target = _target(actor, user, "change")
    _check_not_self(actor, target)
    removed = False
    for grant in target.roles.filter(role=role):
        grant.delete()  # one by one, so the change log and the staff flag follow
        removed = True
    user.refresh_roles()
    return removed


@transaction.atomic
def user_set_roles(actor, user: User, roles) -> None:
    """Make the user's roles exactly `roles`: the final set is validated first, then revocations
    run before grants so that no step is refused for a combination that only exists in between."""
    target = _target(actor, user, "change")
    _check_not_self(actor, target)
    roles = set(roles)
    validate_role_combination(roles)
    validate_kind_roles(target.kind, roles)
    held = set(target.roles.values_list("role", flat=True))
    for role in sorted(held - roles):
        user_revoke_role(actor, target, role)
    for role in sorted(roles - held):
        user_grant_role(actor, target, role)
    user.refresh_roles()


def sync_staff_flag(user_id: int) -> None:
    """`is_staff` (entry to the Django admin) follows the system-administrator role."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return
    is_admin = UserRole.objects.filter(user_id=user_id, role=Role.SYSTEM_ADMIN).exists()
    if user.is_staff != is_admin:
        user.is_staff = is_admin
        user.save(update_fields=["is_staff"])


# --- lockout and two-factor -----------------------------------------------------------------------


@transaction.atomic
def user_unlock(actor, user: User) -> int:
    """A security administrator lifts a lockout; returns the number of failure records cleared."""
    target = _target(actor, user, "unlock")
    cleared = axes_reset(username=target.get_username())
    log_access(None, "unlock", obj=target, cleared=cleared)
    return cleared


@transaction.atomic
def user_reset_two_factor(actor, user: User) -> int:
    """A security administrator removes a user's two-factor devices (lost phone).

    At the next request the user's sessions are no longer verified; a role that needs two-factor is
    sent to enrol a new device. Returns the number of devices removed.
    """
    target = _target(actor, user, "reset_2fa")
    if target.pk == actor.pk:
        raise PermissionDenied  # a security admin's own device is reset by another security admin
    removed, _details = TOTPDevice.objects.filter(user=target).delete()
    static, _details = StaticDevice.objects.filter(user=target).delete()
    revoke_api_tokens(target)
    log_access(None, "reset_2fa", obj=target, devices=removed + static)
    return removed + static


@transaction.atomic
def two_factor_begin(user: User) -> TOTPDevice:
    """The unconfirmed device being enrolled (one per user; its secret is kept until confirmed)."""
    device = TOTPDevice.objects.devices_for_user(user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="TOTP", confirmed=False)
    return device


@transaction.atomic
def two_factor_confirm(user: User, device: TOTPDevice, token: str) -> bool:
    """Confirm enrolment with a code from the app; the new device replaces any older one."""
    if device.user_id != user.pk or device.confirmed:
        return False
    if verify_token(user, device.persistent_id, token) is None:
        return False
    device.refresh_from_db()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    return True


def two_factor_check(user: User, token: str):
    """Check a sign-in code. Returns (device, None) on success, else (None, error code):
    "no_device", "throttled" (too many wrong codes in a row: wait) or "invalid"."""
    device = confirmed_totp_device(user)
    if device is None:
        return None, "no_device"
    allowed, _info = device.verify_is_allowed()
    if not allowed:
        return None, "throttled"
    verified = verify_token(user, device.persistent_id, token)
    if verified is None:
        return None, "invalid"
    return verified, None
