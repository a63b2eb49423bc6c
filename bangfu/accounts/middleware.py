"""Session security: idle timeout, forced password change and the two-factor gate."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.utils.translation import gettext as _

_LAST_SEEN = "bangfu_last_seen"

# Paths a signed-in user may reach before passing the gates (so the gates can be passed).
GATE_EXEMPT_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/api/")


class IdleTimeoutMiddleware:
    """Sign the user out after IDLE_TIMEOUT_SECONDS without a request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = time.time()
            last_seen = request.session.get(_LAST_SEEN)
            if last_seen is not None and now - last_seen > settings.IDLE_TIMEOUT_SECONDS:
                logout(request)
                messages.info(request, _("You were signed out after 30 minutes without activity."))
                return redirect(f"{settings.LOGIN_URL_PATH}?next={request.path}")
            request.session[_LAST_SEEN] = now
        return self.get_response(request)


class SecurityGateMiddleware:
    """Send signed-in users to change an initial password and to pass two-factor when their role needs it.

    Demo mode relaxes both gates so anyone can click through; production enforces them.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not settings.DEMO_MODE
            and not request.path.startswith(GATE_EXEMPT_PREFIXES)
        ):
            if user.must_change_password:
                return redirect("accounts:password_change")
            if user.requires_two_factor and not user.is_verified():
                return redirect("accounts:two_factor")
        return self.get_response(request)
