"""The one chokepoint for who-sees-what.

Every scoped model uses `ScopedManager` (or a queryset subclassing `ScopedQuerySet`) and declares
`scope_org_path`, the lookup from the model to the materialised path of the org that owns a row.
`Model.objects.restrict(user, action)` returns only the rows this user may act on:

* staff: rows owned by an org in the user's own org subtree (one indexed prefix match);
* no permission for the action, inactive or anonymous users: nothing.

Later kinds of users (workers: their own household; providers: their own offers) plug in through
`ScopedQuerySet.restrict_for_<kind>` hooks on the model's queryset, never in views.
Views and API endpoints look objects up only through `restrict(...)`, so a row of another union
answers 404 exactly like a row that does not exist.
"""

from __future__ import annotations

from django.db import models
from django.http import Http404


class ScopedQuerySet(models.QuerySet):
    def restrict(self, user, action: str = "view"):
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        permission = permission_name(self.model, action)
        if not user.has_role_permission(permission):
            return self.none()
        kind_hook = getattr(self, f"restrict_for_{user.kind}", None)
        if kind_hook is not None:
            return kind_hook(user, action)
        if user.kind != "staff":
            # Workers and providers never see an org's subtree: only what a hook grants them.
            return self.none()
        return self.restrict_to_subtree(user)

    def restrict_to_subtree(self, user):
        org_path = user.scope_path
        if not org_path:
            return self.none()
        lookup = self.model.scope_org_path
        if lookup == "path":
            # The org model itself: its own subtree.
            return self.filter(path__startswith=org_path)
        return self.filter(**{f"{lookup}__startswith": org_path})


class ScopedManager(models.Manager.from_queryset(ScopedQuerySet)):
    pass


class ReferenceQuerySet(ScopedQuerySet):
    """National reference data that belongs to no union (rules as data, code lists): staff holding the
    permission read every row; workers and providers none. Declare `scope_org_path = None`."""

    def restrict_to_subtree(self, user):
        return self.all() if user.scope_path else self.none()


def permission_name(model, action: str) -> str:
    return f"{model._meta.app_label}.{action}_{model._meta.model_name}"


def get_scoped_or_404(queryset_or_model, user, action: str = "view", **lookup):
    """Fetch one object the user may act on; anything else is a 404 (never a 403)."""
    queryset = (
        queryset_or_model.objects.all() if isinstance(queryset_or_model, type) else queryset_or_model
    )
    try:
        return queryset.restrict(user, action).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def assert_in_scope(obj, user, action: str = "change") -> None:
    """After a save, inside the transaction: the object must still be within the user's scope."""
    if not type(obj).objects.restrict(user, action).filter(pk=obj.pk).exists():
        raise Http404
