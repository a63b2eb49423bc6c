"""OpenAPI generation (drf-spectacular): the common error body on every operation, and our auth classes.

The schema at /api/v1/schema/ must stay valid with no warnings
(`manage.py spectacular --validate --fail-on-warn`); the suite fuzzes every operation in it.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.authentication import SessionScheme
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import permissions, serializers


class ErrorSerializer(serializers.Serializer):
    """The body of every error answer (see `bangfu.api.exceptions`)."""

    status = serializers.IntegerField(help_text=_("The HTTP status code."))
    code = serializers.CharField(help_text=_("A stable, machine-readable error code."))
    detail = serializers.CharField(help_text=_("A message in the user's language."))
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text=_("Validation errors by field (non_field_errors for the request as a whole)."),
    )

    class Meta:
        ref_name = "Error"


ERROR_DESCRIPTIONS = {
    "400": _("Invalid input; the errors are given by field."),
    "401": _("No valid token or session was given."),
    "403": _("Signed in, but not allowed (for example a pending two-factor step)."),
    "404": _("Not found, or outside your organisation's scope."),
    "415": _("The body is not in a format this operation accepts (see its content types)."),
}


class AutoSchema(SpectacularAutoSchema):
    """Adds the documented error answers to each operation, so clients and the fuzzer know them."""

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        parameters = operation.get("parameters", [])
        codes = []
        if "requestBody" in operation or any(p.get("in") == "query" for p in parameters):
            codes.append("400")
        if self._needs_authentication():
            codes += ["401", "403"]
        # an object named in the path, or a union named in the query ("org"), outside the user's scope: 404
        if any(p.get("in") == "path" or (p.get("in") == "query" and p.get("name") == "org") for p in parameters):
            codes.append("404")
        if "requestBody" in operation:
            codes.append("415")  # DRF's answer to a content type none of the operation's parsers reads
        responses = operation.setdefault("responses", {})
        for code in codes:
            if code not in responses:
                response = OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code])
                responses[code] = self._get_response_for_code(response, code)
        return operation

    def _needs_authentication(self) -> bool:
        return not all(isinstance(p, permissions.AllowAny) for p in self.view.get_permissions())


class GatedSessionScheme(SessionScheme):
    """Our session authentication is Django's session with the sign-in gates: documented the same way."""

    target_class = "bangfu.api.authentication.SessionAuthentication"
