"""Signing in to the portal (phone + password, then a code by SMS), activating an account the union opened, and
opening one with an invitation code. Staff keep their own sign-in page (`accounts:login`)."""

from __future__ import annotations

import time

from django.contrib import messages
from django.contrib.auth import authenticate, logout
from django.contrib.auth import login as auth_login
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from bangfu.accounts.models import User
from bangfu.accounts.security import is_verified
from bangfu.accounts.views import safe_next
from bangfu.audit.access import log_access
from bangfu.core.forms import errors_to_form
from bangfu.core.masking import mask_phone
from bangfu.core.middleware import client_ip
from bangfu.portal import accounts, codes, forms
from bangfu.portal.models import CodePurpose, SmsDevice

PENDING = "portal_pending_sign_in"
PENDING_SECONDS = 10 * 60
# Public pages that take codes (activation, invitation): wrong answers per address and hour before a pause.
PUBLIC_FAILURES_PER_HOUR = 20


def _pending_user(request) -> tuple[User | None, dict]:
    pending = request.session.get(PENDING) or {}
    if not pending or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None, {}
    user = User.objects.filter(pk=pending.get("user"), kind=User.Kind.WORKER, is_active=True).first()
    return user, pending


def _send_code(request, user) -> None:
    try:
        wait = accounts.login_code_send(user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return
    if wait:
        messages.info(request, _("A code was sent a moment ago. You can ask for another in %(seconds)d seconds.")
                      % {"seconds": wait})
    else:
        messages.success(request, _("A six-digit code was sent to %(phone)s.") % {"phone": mask_phone(user.phone)})


@never_cache
@sensitive_post_parameters("password")
def login(request):
    """Step 1: phone number and password (django-axes counts failures and locks the account)."""
    next_url = safe_next(request, reverse("portal:home"))
    user = request.user
    if user.is_authenticated and user.kind == User.Kind.WORKER and is_verified(user):
        return redirect(next_url)
    form = forms.LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        account = authenticate(request, username=codes.worker_username(form.cleaned_data["phone"]),
                               password=form.cleaned_data["password"])
        if account is None or account.kind != User.Kind.WORKER:
            form.add_error(None, _("The phone number or the password is not right. After 5 wrong passwords in a "
                                   "row the account is locked for 30 minutes."))
        else:
            request.session[PENDING] = {"user": account.pk, "at": time.time(), "next": next_url}
            _send_code(request, account)
            return redirect("portal:login_code")
    return render(request, "portal/login.html", {"form": form, "next": next_url})


@never_cache
@sensitive_post_parameters("code")
def login_code(request):
    """Step 2: the code sent by SMS. Right: signed in and verified; wrong, expired or tried too often: said so."""
    user, pending = _pending_user(request)
    if user is None:
        messages.info(request, _("Sign in with your phone number and password first."))
        return redirect("portal:login")
    form = forms.CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = codes.check_code(user, CodePurpose.LOGIN, form.cleaned_data["code"])
        if result.ok:
            device, _created = SmsDevice.objects.get_or_create(user=user, defaults={"name": "SMS"})
            user.otp_device = device  # django-otp marks the new session verified on login
            del request.session[PENDING]
            auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect(pending.get("next") or "portal:home")
        form.add_error("code", accounts.code_message(result))
        log_access(request, "login_failed", result="denied", user=user, step="sms_code", reason=result.reason)
    return render(request, "portal/login_code.html", {"form": form, "phone": mask_phone(user.phone)})


@require_POST
def login_code_resend(request):
    user, _pending = _pending_user(request)
    if user is None:
        return redirect("portal:login")
    _send_code(request, user)
    return redirect("portal:login_code")


@require_POST
def sign_out(request):
    logout(request)
    messages.info(request, _("You are signed out."))
    return redirect("portal:login")


def _failures_key(request, scope: str) -> str:
    return f"portal:failures:{scope}:{client_ip(request) or '-'}"


def _paused(request, scope: str) -> bool:
    return (cache.get(_failures_key(request, scope)) or 0) >= PUBLIC_FAILURES_PER_HOUR


def _count_failure(request, scope: str) -> None:
    key = _failures_key(request, scope)
    if cache.add(key, 1, 3600):
        return
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, 3600)


def _code_page(request, form_class, action, scope: str, template: str, success: str):
    form = form_class(request.POST or None)
    if request.method == "POST":
        if _paused(request, scope):
            form.is_valid()
            form.add_error(None, _("Too many wrong tries from this network. Try again in an hour."))
        elif form.is_valid():
            data = form.cleaned_data
            try:
                action(data)
            except ValidationError as error:
                _count_failure(request, scope)
                errors_to_form(form, error)
            else:
                messages.success(request, success)
                return redirect("portal:login")
    return render(request, template, {"form": form})


@never_cache
@sensitive_post_parameters("code", "password1", "password2")
def activate(request):
    """The worker whose account the union opened sets their password with the code of the SMS."""
    return _code_page(
        request, forms.ActivationForm,
        lambda d: accounts.activation_complete(d["phone"], d["code"], d["password1"]),
        "activate", "portal/activate.html",
        _("Your account is active. Sign in with your phone number and your new password."))


@never_cache
@sensitive_post_parameters("code", "password1", "password2")
def invitation(request):
    """A household member opens their own account with the invitation code their union gave them."""
    return _code_page(
        request, forms.InvitationForm,
        lambda d: accounts.invitation_redeem(d["code"], d["phone"], d["password1"]),
        "invitation", "portal/invitation.html",
        _("Your account is open. Sign in with your phone number and your password."))
