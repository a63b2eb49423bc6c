"""The access log: reads of sensitive pages, reveals, exports, prints and security events.

    log_access(request, "export", obj=report, rows=120)           # from a view
    log_access(None, "crosscheck", obj=run, dataset="civil_affairs")  # from a task (context gives the rest)

    @audited_read("view")
    def household_detail(request, pk): ...

Sign-in, sign-out, failed sign-ins and axes lockouts are logged by the signal receivers below;
unlocking an account and resetting two-factor are logged by the code that does it
(`log_access(request, "unlock", obj=user)`). Never pass clear ID numbers, bank accounts or names in
`detail`: it is shown to auditors as it is.
"""

from __future__ import annotations

import functools

from django.core.exceptions import PermissionDenied
from django.http import Http404

from bangfu.core import context
from bangfu.core.middleware import client_ip


def _user_of(request, user):
    if user is not None:
        return user
    candidate = getattr(request, "user", None) if request is not None else None
    if candidate is not None and getattr(candidate, "is_authenticated", False):
        return candidate
    user_id = context.current().user_id
    if user_id is not None:
        # A task, a command or a service function acting for a user: load them for the role snapshot.
        from django.contrib.auth import get_user_model

        return get_user_model()._default_manager.filter(pk=user_id).first()
    return None


def log_access(request_or_none, action: str, obj=None, result: str = "ok", *, user=None, username: str = "",
               object_type: str = "", object_id: str = "", **detail):
    """Append one access-log entry. `user` overrides the request's user (sign-in events); `username`
    records what was typed when no account matches (failed sign-ins).

    Without a request (tasks, commands) the action context supplies user, org, request id and IP.
    """
    from bangfu.audit.models import AccessLogEntry

    ctx = context.current()
    request = request_or_none
    user = _user_of(request, user)
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    entry = AccessLogEntry(
        action=action,
        result=result,
        object_type=object_type[:100],
        object_id=str(object_id)[:64],
        request_id=(getattr(request, "request_id", "") if request is not None else "") or ctx.request_id,
        ip=(client_ip(request) if request is not None else None) or ctx.ip,
        source=ctx.source,
        detail=detail,
    )
    if user is not None:
        entry.user_id = user.pk
        entry.username = user.username
        entry.org_id = user.org_id
        entry.roles = ",".join(sorted(getattr(user, "role_set", ())))[:200]
    else:
        entry.user_id = ctx.user_id
        entry.username = (username or ctx.username)[:150]
        entry.org_id = ctx.org_id
    entry.save()
    return entry


def audited_read(action: str = "view", *, object_type: str = "", lookup: str = "pk"):
    """Log every call of a view that reads sensitive data, allowed or not.

    The object is the one the view puts on `request.audited_object`, or else `object_type` with the
    URL argument `lookup`. A 404/403 (raised or returned) is logged as denied, then passed on.
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            def log(result, status):
                obj = getattr(request, "audited_object", None)
                log_access(
                    request, action, obj=obj, result=result, object_type=object_type,
                    object_id="" if obj is not None else str(kwargs.get(lookup, "")),
                    path=request.path, method=request.method, status=status,
                )

            try:
                response = view(request, *args, **kwargs)
            except Http404:
                log("denied", 404)
                raise
            except PermissionDenied:
                log("denied", 403)
                raise
            status = getattr(response, "status_code", 200)
            log("denied" if status in (401, 403, 404) else "ok", status)
            return response

        return wrapper

    return decorator


# --- security events -------------------------------------------------------------------------


def on_logged_in(sender, request, user, **kwargs):
    log_access(request, "login", user=user)


def on_logged_out(sender, request, user, **kwargs):
    if user is not None:
        log_access(request, "logout", user=user)


def _account(username):
    from django.contrib.auth import get_user_model

    if not username:
        return None
    return get_user_model()._default_manager.filter(username=username).select_related("org").first()


def on_login_failed(sender, credentials, request=None, **kwargs):
    # Attribute the failure to the account (so its own union's auditor sees it); an unknown username
    # is kept as typed, truncated, and belongs to the root auditors.
    username = str((credentials or {}).get("username", ""))[:150]
    account = _account(username)
    log_access(request, "login_failed", result="denied", user=account, username=username,
               known_account=account is not None)


def on_locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
    account = _account(username)
    log_access(request, "lockout", result="denied", user=account, username=(username or "")[:150],
               **({"ip_address": ip_address} if ip_address and request is None else {}))
