"""View decorators shared by the apps' pages."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404


def staff_page(permission: str):
    """Signed-in union staff holding `permission`; anyone else (workers, providers, other roles) gets a 404 —
    the same answer as for a page that does not exist, so a page tells nobody what it is for."""

    def decorate(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            user = request.user
            if user.kind != "staff" or not user.org_id or not user.has_role_permission(permission):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
