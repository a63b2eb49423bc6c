"""Signing in and one's own account: login, password change, two-factor verify and enrolment, my account."""

from __future__ import annotations

from urllib.parse import urlencode

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.password_validation import password_validators_help_texts
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from bangfu.accounts import forms, security, services


def safe_next(request, default: str = "") -> str:
    """The `next` parameter when it points into this site, else `default` (or home)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default or reverse(settings.LOGIN_REDIRECT_URL)


def with_next(url: str, next_url: str) -> str:
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    form_class = forms.LoginForm
    redirect_authenticated_user = True

    def get_success_url(self):
        target = super().get_success_url()
        step = None if settings.DEMO_MODE else security.pending_step(self.request.user)
        # Straight to the step the user still owes, carrying where they were going.
        return with_next(reverse(step), target) if step else target

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["idle_signout"] = self.request.GET.get("reason") == "idle"
        return context


class LogoutView(auth_views.LogoutView):
    pass


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    form_class = forms.PasswordChangeForm

    def get_success_url(self):
        return safe_next(self.request, reverse("accounts:me"))

    def form_valid(self, form):
        response = super().form_valid(form)  # saves through services.user_set_password, keeps the session
        messages.success(self.request, _("Your password was changed."))
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            policy=password_validators_help_texts(),
            next=safe_next(self.request, ""),
            crumbs=[(_("My account"), reverse("accounts:me")), (_("Change password"), "")],
        )
        return context


@never_cache
@sensitive_post_parameters("token")
@login_required
def two_factor(request):
    """The second step of signing in for an enrolled user."""
    user = request.user
    next_url = safe_next(request)
    if security.is_verified(user):
        return redirect(next_url)
    if not security.has_two_factor(user):
        return redirect(with_next(reverse("accounts:two_factor_setup"), next_url))
    form = forms.TwoFactorVerifyForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        django_otp.login(request, form.device)
        return redirect(next_url)
    return render(request, "accounts/two_factor.html", {"form": form, "next": next_url})


@never_cache
@sensitive_post_parameters("token")
@login_required
def two_factor_setup(request):
    """Enrol an authenticator app: QR code and secret, then confirm with the first code.

    A user who already has a device must pass it first (a password alone never replaces a device).
    """
    user = request.user
    next_url = safe_next(request, reverse("accounts:me"))
    if not user.requires_two_factor:
        # Only roles that need two-factor enrol (an optional device nobody is asked for protects nothing).
        messages.info(request, _("Your roles do not need two-factor sign-in."))
        return redirect("accounts:me")
    if security.has_two_factor(user) and not security.is_verified(user):
        return redirect(with_next(reverse("accounts:two_factor"), next_url))
    device = services.two_factor_begin(user)
    form = forms.TwoFactorSetupForm(request.POST or None, user=user, device=device)
    if request.method == "POST" and form.is_valid():
        device.refresh_from_db()
        django_otp.login(request, device)
        messages.success(request, _("Two-factor sign-in is set up. From now on you will be asked for a code."))
        return redirect(next_url)
    return render(request, "accounts/two_factor_setup.html", {
        "form": form,
        "next": next_url,
        "qr_svg": security.qr_code_svg(device.config_url),
        "secret": security.secret_for_display(device),
        "replacing": security.has_two_factor(user),
        "crumbs": [(_("My account"), reverse("accounts:me")), (_("Two-factor sign-in"), "")],
    })


@login_required
def my_account(request):
    user = request.user
    return render(request, "accounts/me.html", {
        "account": user,
        "roles": user.roles.order_by("role"),
        "two_factor_enrolled": security.has_two_factor(user),
        "two_factor_verified": security.is_verified(user),
        "crumbs": [(_("My account"), "")],
    })
