"""Who is acting, from where, under which request or job.

Requests, background tasks and management commands all set this context, so the audit trail
records actor, org, request id, IP and job the same way wherever a change comes from.
"""

from __future__ import annotations

import contextlib
import uuid
from contextvars import ContextVar
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class ActionContext:
    user_id: int | None = None
    username: str = ""
    org_id: int | None = None
    request_id: str = ""
    ip: str | None = None
    source: str = "system"  # request | task | command | system
    job_id: str = ""


# ActionContext is frozen (immutable), so sharing one default instance is safe.
_current: ContextVar[ActionContext] = ContextVar("bangfu_action_context", default=ActionContext())  # noqa: B039


def current() -> ActionContext:
    return _current.get()


@contextlib.contextmanager
def acting(**fields):
    """Run a block with an action context (fields not given are inherited)."""
    token = _current.set(replace(_current.get(), **fields))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def acting_as_user(user, *, source: str, job_id: str = "", request_id: str = ""):
    """Context for a task or command that acts on behalf of a user (or the system when None)."""
    return acting(
        user_id=getattr(user, "pk", None),
        username=getattr(user, "username", "") or "",
        org_id=getattr(user, "org_id", None),
        source=source,
        job_id=job_id,
        request_id=request_id or uuid.uuid4().hex,
    )


def new_request_id() -> str:
    return uuid.uuid4().hex
