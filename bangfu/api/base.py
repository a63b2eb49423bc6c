"""Base classes for every API endpoint of the platform.

* `ApiViewMixin` puts the authenticated user into the action context (`bangfu.core.context`). The
  `UserContextMiddleware` runs before DRF authenticates a token, so for token requests the audit
  trail would otherwise not know who acted.
* `ScopedViewSetMixin` is the API side of the one scoping chokepoint: its `get_queryset` always goes
  through `Model.objects.restrict(request.user, action)`, with the DRF action mapped to the permission
  action (view / add / change / delete). An object outside the user's scope is a 404, exactly like
  an object that does not exist. Later apps' viewsets inherit it:

      class HouseholdViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
          queryset = Household.objects.select_related("org")
          serializer_class = HouseholdSerializer
          filterset_class = HouseholdFilter
          scope_actions = {"approve": "approve"}   # custom @action -> permission action

* `ReferenceViewSetMixin` is for public reference data (divisions, local standards): any signed-in
  user may read it, nobody writes it through the API.
"""

from __future__ import annotations

import contextlib

from django.core.exceptions import ImproperlyConfigured
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from rest_framework import permissions
from rest_framework.exceptions import ValidationError as ApiValidationError

from bangfu.core import context
from bangfu.core.scoping import assert_in_scope

# DRF viewset actions and the permission action (`<app>.<action>_<model>`) they need.
ACTION_SCOPES = {
    "list": "view",
    "retrieve": "view",
    "metadata": "view",
    "create": "add",
    "update": "change",
    "partial_update": "change",
    "destroy": "delete",
}


class ApiViewMixin:
    """Sets the action context (actor, org) once DRF has authenticated the request."""

    def dispatch(self, request, *args, **kwargs):
        self._context_stack = contextlib.ExitStack()
        with self._context_stack:
            return super().dispatch(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authentication, permissions, throttling
        user = request.user
        if user is not None and user.is_authenticated:
            self._context_stack.enter_context(
                context.acting(user_id=user.pk, username=user.get_username(), org_id=getattr(user, "org_id", None))
            )


class ScopedViewSetMixin(ApiViewMixin):
    """Every queryset through `restrict(user, action)`; writes re-check the scope inside their transaction."""

    # Custom @action name -> permission action; unknown actions use "view" for safe methods, else "change".
    scope_actions: dict[str, str] = {}

    def get_scope_action(self) -> str:
        action = getattr(self, "action", None)
        if action in self.scope_actions:
            return self.scope_actions[action]
        if action in ACTION_SCOPES:
            return ACTION_SCOPES[action]
        return "view" if self.request.method in permissions.SAFE_METHODS else "change"

    def get_queryset(self):
        queryset = super().get_queryset()
        if not hasattr(queryset, "restrict"):
            raise ImproperlyConfigured(
                f"{type(self).__name__}: {queryset.model.__name__} has no scoped manager (restrict)."
            )
        return queryset.restrict(self.request.user, self.get_scope_action())

    def perform_create(self, serializer):
        with transaction.atomic():
            instance = serializer.save()
            assert_in_scope(instance, self.request.user, "add")  # 404 rolls the whole write back

    def perform_update(self, serializer):
        with transaction.atomic():
            instance = serializer.save()
            assert_in_scope(instance, self.request.user, "change")


class ReferenceViewSetMixin(ApiViewMixin):
    """Public reference data: any authenticated user reads it (the default IsAuthenticated permission)."""


def non_field(key: str) -> str:
    """The API's name for a write function's form-wide ("__all__") errors."""
    return "non_field_errors" if key == "__all__" else key


def api_errors(error: DjangoValidationError, *, rename=None) -> ApiValidationError:
    """A write function's ValidationError as the API's 400: field keys kept (or renamed by `rename`, e.g.
    `non_field`), a message without a field under "non_field_errors"."""
    rename = rename or (lambda key: key)
    if hasattr(error, "error_dict"):
        return ApiValidationError({rename(key): messages for key, messages in error.message_dict.items()})
    return ApiValidationError({"non_field_errors": error.messages})
