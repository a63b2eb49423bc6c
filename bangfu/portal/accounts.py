"""Named write actions on worker accounts (DOMAIN.md §9; issue 7): opened by the union or by an invitation code,
the first password set by the worker, the SMS code of each sign-in.

A worker account is bound to exactly one household member (`registry.Member.account`); its username is derived
from the phone number (`codes.worker_username`), never the ID number, and its password is always the worker's own
choice: the union never sees or sets it. The change log records the account and the binding (User and Member are
registered with the audit app), the household's timeline says who opened the account and when.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu.accounts.models import User, UserRole
from bangfu.accounts.roles import Role
from bangfu.accounts.services import user_set_password
from bangfu.accounts.validators import validate_new_password
from bangfu.core.masking import mask_phone
from bangfu.notifications.sms import SmsError, get_backend
from bangfu.portal import codes
from bangfu.portal.models import CodePurpose, WorkerInvitation
from bangfu.registry.models import OPEN_STATES, Member, record_event

STAFF_PERMISSION = "registry.change_member"


def _staff_member(actor, member) -> Member:
    """The member as the actor may change it, locked; PermissionDenied otherwise (views 404 first)."""
    if getattr(actor, "kind", None) != "staff" or not actor.has_role_permission(STAFF_PERMISSION):
        raise PermissionDenied
    found = (Member.objects.restrict(actor, "change").select_for_update(of=("self",))
             .select_related("household").filter(pk=getattr(member, "pk", member)).first())
    if found is None:
        raise PermissionDenied
    return found


def _check_bindable(member: Member) -> None:
    if member.account_id is not None:
        raise ValidationError(_("This member already has a worker account."), code="has_account")
    if member.household.state not in OPEN_STATES:
        raise ValidationError(_("The archive is closed: no worker account can be opened for it."), code="closed")


def _check_phone(raw: str) -> str:
    phone = codes.normalise_phone(raw)
    if not phone:
        raise ValidationError({"phone": [_("Enter a mainland mobile number of 11 digits.")]})
    if User.objects.filter(username=codes.worker_username(phone)).exists():
        raise ValidationError({"phone": [_("This phone number is already used by another worker account.")]})
    return phone


def _create_account(member: Member, phone: str, *, password: str | None) -> User:
    """A worker account bound to `member`: username from the phone, the union's org, the worker role only."""
    user = User(username=codes.worker_username(phone), kind=User.Kind.WORKER, org=member.household.org,
                full_name=member.name_masked, phone=phone, must_change_password=False)
    if password is None:
        user.set_unusable_password()  # the worker sets it with the activation code
        user.save()
    else:
        user.save()
        user_set_password(user, password)  # the whole policy, history included
    UserRole.objects.create(user=user, role=Role.WORKER)
    member.account = user
    member.save(update_fields=["account", "updated_at"])
    return user


def _check_password(password: str, user: User, member: Member, phone: str) -> None:
    """The password policy and the identity rule, as field errors of `password1` (checked before any code is
    used up or any row written)."""
    try:
        validate_new_password(password, user)
        check_password_not_identity(password, member, phone)
    except ValidationError as error:
        raise ValidationError({"password1": error.messages}) from error


def _send(phone: str, text: str) -> None:
    try:
        get_backend().send(phone, text)
    except SmsError as error:
        raise ValidationError(_("The text message could not be sent (%(error)s). Try again later or give the "
                                "worker an invitation code.") % {"error": error}, code="sms_failed") from error


def check_password_not_identity(password: str, member: Member, phone: str) -> None:
    """Never the ID number (or its last six characters, the usual default) nor the phone number as a password."""
    lowered = (password or "").lower()
    identity = (member.identity_number or "").lower()
    if identity and (identity in lowered or identity[-6:] in lowered):
        raise ValidationError(_("Your password may not contain your ID number or its last six characters."),
                              code="password_has_identity")
    if phone and phone in lowered:
        raise ValidationError(_("Your password may not contain your phone number."), code="password_has_phone")


@transaction.atomic
def activate_worker_account(actor, member, phone: str) -> User:
    """The union opens a worker account for a household member: the account is bound to the member, and an SMS
    with an activation code goes to `phone`; the worker then sets their own password on the activation page."""
    member = _staff_member(actor, member)
    _check_bindable(member)
    phone = _check_phone(phone)
    user = _create_account(member, phone, password=None)
    code = codes.issue_code(user, CodePurpose.ACTIVATION)
    hours = int(codes.activation_code_life().total_seconds() // 3600)
    record_event(member.household, "worker_account_opened", actor=actor, member=member.pk,
                 phone=mask_phone(phone), by="union")
    _send(phone, _("[Bangfu] Your union opened your worker account. Activation code %(code)s, valid %(hours)d "
                   "hours: open “Activate account” in the worker portal and choose your password.")
          % {"code": code, "hours": hours})
    return user


@transaction.atomic
def invitation_create(actor, member) -> tuple[WorkerInvitation, str]:
    """A single-use invitation code for a member (earlier open ones are revoked); returns it with the clear code,
    which is shown once to the staff member and stored only as a keyed hash."""
    member = _staff_member(actor, member)
    _check_bindable(member)
    now = timezone.now()
    WorkerInvitation.objects.filter(member=member, used_at=None, revoked_at=None).update(revoked_at=now)
    code = codes.new_invitation_code()
    invitation = WorkerInvitation.objects.create(member=member, code_hash=codes.invitation_hash(code),
                                                 expires_at=now + codes.invitation_life(), created_by=actor)
    record_event(member.household, "worker_invitation_created", actor=actor, member=member.pk,
                 expires=invitation.expires_at.date().isoformat())
    return invitation, code


def _invitation_error():
    return ValidationError({"code": [_("This invitation code is not valid, has expired or was used already. Ask "
                                       "your union for a new one.")]})


@transaction.atomic
def invitation_redeem(code: str, phone: str, password: str) -> User:
    """The worker opens their account with an invitation code, their phone number and a password of their choice."""
    invitation = (WorkerInvitation.objects.select_for_update().select_related("member__household")
                  .filter(code_hash=codes.invitation_hash(code)).first())
    if invitation is None or not invitation.is_open:
        raise _invitation_error()
    member = Member.objects.select_for_update().select_related("household").get(pk=invitation.member_id)
    try:
        _check_bindable(member)
    except ValidationError as error:
        raise _invitation_error() from error
    phone = _check_phone(phone)
    _check_password(password, User(username=codes.worker_username(phone), kind=User.Kind.WORKER), member, phone)
    user = _create_account(member, phone, password=password)
    invitation.used_at, invitation.account = timezone.now(), user
    invitation.save(update_fields=["used_at", "account"])
    record_event(member.household, "worker_account_opened", actor=user, member=member.pk, phone=mask_phone(phone),
                 by="invitation")
    return user


def activation_complete(phone: str, code: str, password: str) -> User:
    """The worker sets their first password with the activation code sent when the union opened the account.

    The code is checked (and a wrong try counted) in its own transaction, so a refusal still counts."""
    phone = codes.normalise_phone(phone)
    user = User.objects.filter(username=codes.worker_username(phone), kind=User.Kind.WORKER,
                               is_active=True).first() if phone else None
    if user is None or user.has_usable_password():
        # One answer for "no such account" and "already activated": nobody learns which numbers have accounts.
        raise ValidationError({"code": [_("The phone number or the code is not right.")]})
    member = Member.objects.filter(account=user).first()
    _check_password(password, user, member or Member(), phone)
    result = codes.check_code(user, CodePurpose.ACTIVATION, code)
    if not result.ok:
        raise ValidationError({"code": [code_message(result)]})
    with transaction.atomic():
        user_set_password(user, password)
    return user


def code_message(result) -> str:
    """The message a worker reads for a refused code."""
    if result.reason == "expired":
        return _("This code has expired. Ask for a new code.")
    if result.reason == "too_many":
        return _("Too many wrong codes. Ask for a new code.")
    if result.reason == "none":
        return _("No code is waiting for this account. Ask for a new code.")
    return _("The code is not right. You have %(count)d more tries.") % {"count": result.tries_left}


def login_code_send(user) -> int:
    """Send a sign-in code to the worker's phone unless one was sent too recently; returns the seconds to wait
    (0 when a code went out)."""
    wait = codes.send_wait_seconds(user, CodePurpose.LOGIN)
    if wait:
        return wait
    with transaction.atomic():
        code = codes.issue_code(user, CodePurpose.LOGIN)
        minutes = int(codes.login_code_life().total_seconds() // 60)
        _send(user.phone, _("[Bangfu] Your sign-in code is %(code)s, valid %(minutes)d minutes. Do not tell anyone.")
              % {"code": code, "minutes": minutes})
    return 0
