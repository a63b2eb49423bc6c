"""Middleware that fills the action context for every request."""

from __future__ import annotations

from bangfu.core import context


def client_ip(request) -> str | None:
    # Behind nginx the real address arrives in X-Forwarded-For; only trust it when configured to.
    from django.conf import settings

    if getattr(settings, "TRUST_X_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR")


class RequestContextMiddleware:
    """Give each request an id and remember its IP before any view runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request.META.get("HTTP_X_REQUEST_ID") or context.new_request_id()
        request.request_id = request_id[:64]
        with context.acting(request_id=request.request_id, ip=client_ip(request), source="request"):
            response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response


class UserContextMiddleware:
    """Add the authenticated user (and their org) to the action context once auth has run."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            with context.acting(user_id=user.pk, username=user.username, org_id=user.org_id):
                return self.get_response(request)
        return self.get_response(request)
