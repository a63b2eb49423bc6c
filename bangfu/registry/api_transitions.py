"""API of the lifecycle: the same forms and transition functions as the pages.

GET  /api/v1/households/{household_pk}/transitions/   the actions this user may take now (state, role, level)
POST /api/v1/households/{household_pk}/transitions/   {"action": "<name>", ...the action's fields}

An archive outside the user's scope is a 404. An illegal move (wrong state, role, level, missing data)
is a 400 with the platform's uniform error body ({"status", "code", "detail", "fields"}).
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import QueryDict
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from bangfu.api.base import ApiViewMixin, api_errors, non_field
from bangfu.api.schema import ErrorSerializer
from bangfu.core.scoping import get_scoped_or_404
from bangfu.registry import lifecycle
from bangfu.registry.models import Household
from bangfu.registry.views_lifecycle import AUDITED_AS_APPROVAL, FORMS

NON_FIELD = "non_field_errors"


def _field_help() -> dict[str, list[str]]:
    uses: dict[str, list[str]] = {}
    for action, form_class in FORMS.items():
        for name in form_class.base_fields:
            uses.setdefault(name, []).append(action)
    return uses


def _request_serializer():
    fields = {"action": serializers.ChoiceField(choices=list(lifecycle.ACTIONS), help_text="The action to take.")}
    for name, actions in sorted(_field_help().items()):
        help_text = "For: " + ", ".join(actions)
        if name == "members":
            fields[name] = serializers.ListField(child=serializers.IntegerField(), required=False, help_text=help_text)
        elif name.endswith("_on") or name == "on":
            fields[name] = serializers.DateField(required=False, help_text=help_text)
        else:
            fields[name] = serializers.CharField(required=False, help_text=help_text)
    return inline_serializer("TransitionRequest", fields)


ActionListSerializer = inline_serializer("TransitionActions", {
    "action": serializers.CharField(),
    "label": serializers.CharField(),
    "to_state": serializers.CharField(allow_null=True),
    "fields": serializers.ListField(child=serializers.CharField()),
    "requires": serializers.ListField(child=serializers.CharField()),
}, many=True)

StateSerializer = inline_serializer("TransitionResult", {
    "household": serializers.IntegerField(),
    "state": serializers.CharField(),
    "state_label": serializers.CharField(),
    "result": serializers.DictField(),
    "next_actions": serializers.ListField(child=serializers.CharField()),
})


def form_data(data, form_class) -> tuple[dict, dict]:
    """A JSON body as the form expects it: text values (a list of them for a multiple choice).

    Forms read text from a QueryDict; a JSON list, object, number or boolean handed to a date field
    crashed it (`.strip()` of a list). Numbers and booleans become their text; a list or object where one
    value is expected, or nested values in a list, is a field error. A form post (QueryDict) is text already.
    """
    if isinstance(data, QueryDict) or not isinstance(data, dict):
        return data, {}
    fields = form_class.base_fields
    plain: dict = {}
    errors: dict[str, list[str]] = {}
    for key, value in data.items():
        field = fields.get(key)
        multiple = isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField)
        if multiple and isinstance(value, list):
            if any(isinstance(item, list | dict) for item in value):
                errors[key] = [_("Enter a list of ids.")]
            else:
                plain[key] = ["" if item is None else str(item) for item in value]
        elif isinstance(value, list | dict):
            if field is not None:
                errors[key] = [_("Enter a single value, not a list or an object.")]
        elif value is None:
            plain[key] = ""
        else:
            plain[key] = str(value)
    return plain, errors


def describe(row) -> dict:
    return {"action": row.action, "label": str(row.label), "to_state": row.target,
            "fields": list(FORMS[row.action].base_fields), "requires": list(row.requires)}


class HouseholdTransitionsView(ApiViewMixin, APIView):
    """The legal next actions of an archive for this user, and carrying one out."""

    def _household(self, request, household_pk):
        queryset = Household.objects.select_related("org")
        return get_scoped_or_404(queryset, request.user, "view", pk=household_pk)

    @extend_schema(responses={200: ActionListSerializer, 404: OpenApiResponse(ErrorSerializer)},
                   summary="Legal next actions", tags=["households"])
    def get(self, request, household_pk):
        household = self._household(request, household_pk)
        return Response([describe(row) for row in lifecycle.allowed(request.user, household)])

    @extend_schema(request=_request_serializer(),
                   responses={200: StateSerializer, 400: OpenApiResponse(ErrorSerializer),
                              404: OpenApiResponse(ErrorSerializer)},
                   summary="Carry out an action", tags=["households"])
    def post(self, request, household_pk):
        from bangfu import audit
        from bangfu.registry.services.lifecycle import run_action

        household = self._household(request, household_pk)
        data = request.data if hasattr(request.data, "get") else {}
        action = data.get("action")
        if not isinstance(action, str) or action not in FORMS:
            raise ValidationError({"action": [_("Choose one of the actions: %(actions)s.")
                                              % {"actions": ", ".join(lifecycle.ACTIONS)}]})
        try:
            lifecycle.check(action, request.user, household)
        except DjangoValidationError as error:
            raise api_errors(error, rename=non_field) from None
        data, shape_errors = form_data(data, FORMS[action])
        form = FORMS[action](data=data, household=household, user=request.user)
        if shape_errors or not form.is_valid():
            errors = {NON_FIELD if k == "__all__" else k: list(v) for k, v in form.errors.items()}
            errors.update(shape_errors)
            raise ValidationError(errors)
        state_before = household.state
        try:
            with transaction.atomic():
                result = run_action(household, action, request.user, form.cleaned_data)
        except DjangoValidationError as error:
            raise api_errors(error, rename=non_field) from None
        if action in AUDITED_AS_APPROVAL or (action == "refuse" and state_before == "approval"):
            audit.log_access(request, "approve", obj=household, decision=action)
        household.refresh_from_db()
        return Response({
            "household": household.pk,
            "state": household.state,
            "state_label": household.get_state_display(),
            "result": {"type": type(result).__name__, "id": getattr(result, "pk", None)},
            "next_actions": [row.action for row in lifecycle.allowed(request.user, household)],
        })
