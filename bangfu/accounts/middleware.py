"""Session security: idle timeout, forced password change and the two-factor gate."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpResponseRedirect
from django.urls import reverse

from bangfu.accounts.security import pending_step

_LAST_SEEN = "bangfu_last_seen"
LAST_SEEN_RESOLUTION_SECONDS = 60

# Reachable whatever step is pending: assets, the language switch and signing out. The API applies the
# same gates in its own authentication (`bangfu.api.authentication`), answering in the API's format.
ALWAYS_OPEN_PREFIXES = ("/static/", "/i18n/", "/api/")
ALWAYS_OPEN_NAMES = ("accounts:logout", "accounts:login")


def login_url_with(next_url: str, **params) -> str:
    query = urlencode({"next": next_url, **params})
    return f"{reverse('accounts:login')}?{query}"


class IdleTimeoutMiddleware:
    """Sign the user out after IDLE_TIMEOUT_SECONDS without a request.

    The stored session expires after the same time (SESSION_COOKIE_AGE, renewed whenever the
    last-seen mark moves, at most once a minute), so an idle session is normally gone already; this check also holds
    when a session store keeps sessions longer, and tells the user why they were signed out.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = time.time()
            last_seen = request.session.get(_LAST_SEEN)
            if last_seen is not None and now - last_seen > settings.IDLE_TIMEOUT_SECONDS:
                logout(request)
                return HttpResponseRedirect(login_url_with(request.get_full_path(), reason="idle"))
            if last_seen is None or now - last_seen >= LAST_SEEN_RESOLUTION_SECONDS:
                # Writing the session costs a database write per request; a minute's resolution is
                # plenty for a 30-minute limit (an idle session ends at most a minute early, never late).
                request.session[_LAST_SEEN] = now
        return self.get_response(request)


class SecurityGateMiddleware:
    """Hold signed-in users at the security step they still owe (see `security.pending_step`):
    verifying two-factor, changing an initial password, enrolling two-factor.

    Every other page redirects to that step (with `?next=` so the user lands where they were going).
    Demo mode relaxes the gate so anyone can click through; production enforces it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is None
            or not user.is_authenticated
            or settings.DEMO_MODE
            or request.path.startswith(ALWAYS_OPEN_PREFIXES)
        ):
            return self.get_response(request)
        step = pending_step(user)
        if step is None:
            return self.get_response(request)
        step_path = reverse(step)
        if request.path == step_path or request.path in {reverse(name) for name in ALWAYS_OPEN_NAMES}:
            return self.get_response(request)
        return HttpResponseRedirect(f"{step_path}?{urlencode({'next': request.get_full_path()})}")
