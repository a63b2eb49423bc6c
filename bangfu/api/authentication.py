"""API authentication: DRF tokens, and browser sessions that passed the same gates as the web pages.

The web pages' `SecurityGateMiddleware` leaves `/api/` alone, so a session that signed in with the
password only (two-factor pending, or an initial password not yet changed) must not reach data
through the API either. A token is only issued after those checks (`bangfu.api.tokens`).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions


class SessionAuthentication(authentication.SessionAuthentication):
    """Django's session, refused while a security step of the sign-in is pending (demo mode relaxes it)."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None or settings.DEMO_MODE:
            return result
        user = result[0]
        if user.requires_two_factor and not _session_verified(user):
            raise exceptions.PermissionDenied(_("Complete the two-factor sign-in before using the API."))
        if user.must_change_password:
            raise exceptions.PermissionDenied(_("Change your initial password before using the API."))
        return result


def _session_verified(user) -> bool:
    check = getattr(user, "is_verified", None)  # set by django_otp's OTPMiddleware
    return bool(check()) if callable(check) else False


class ExpiringTokenAuthentication(authentication.TokenAuthentication):
    """DRF tokens that end: after `API_TOKEN_TTL_HOURS`, and at once when the password changes.

    Lockout and two-factor reset delete the user's tokens (`bangfu.accounts.services`); an expired
    token is deleted when it is next presented, so a stolen token is not valid for ever.
    """

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        now = timezone.now()
        expired = token.created < now - timedelta(hours=settings.API_TOKEN_TTL_HOURS)
        stale = user.password_changed_at is not None and token.created < user.password_changed_at
        if expired or stale:
            token.delete()
            raise exceptions.AuthenticationFailed(_("The token has expired; request a new one."))
        return user, token
