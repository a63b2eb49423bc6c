"""One error body for every API error, in the user's language.

    {"status": 400, "code": "invalid", "detail": "Invalid input.",
     "fields": {"level": ["Select a valid choice. 9 is not one of the available choices."]}}

`fields` is present for validation errors only; errors that belong to no single field are under
`non_field_errors`. Every 404 has the same body whether the object does not exist or belongs to
another union, so an answer never tells the two apart. Messages are translated when the error is
raised, in the language LocaleMiddleware chose from Accept-Language (simplified Chinese by default).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler


class LockedOut(exceptions.APIException):
    """Too many failed sign-ins for this account (django-axes): same rule as the sign-in page."""

    status_code = 429
    default_code = "locked_out"

    def __init__(self, detail=None, code=None):
        minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
        super().__init__(
            detail
            or _(
                "Too many failed sign-in attempts: this account is locked for %(minutes)d minutes. "
                "A security administrator can unlock it."
            )
            % {"minutes": minutes},
            code,
        )


def _first_code(codes) -> str:
    if isinstance(codes, str):
        return codes
    if isinstance(codes, dict):
        codes = next(iter(codes.values()), "error")
    if isinstance(codes, list) and codes:
        return _first_code(codes[0])
    return "error"


def _as_fields(detail) -> dict:
    if isinstance(detail, dict):
        return detail
    return {api_settings.NON_FIELD_ERRORS_KEY: detail if isinstance(detail, list) else [detail]}


def exception_handler(exc, context):
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()  # never the model's name or the lookup
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # not an API error: Django's 500 handling (and its logging) applies
    detail = exc.detail  # DRF answers APIExceptions only
    if isinstance(exc, exceptions.ValidationError) or isinstance(detail, dict | list):
        response.data = {
            "status": response.status_code,
            "code": _first_code(exc.get_codes()),
            "detail": _("Invalid input: see the errors by field."),
            "fields": _as_fields(detail),
        }
    else:
        code = getattr(detail, "code", None) or exc.default_code
        response.data = {"status": response.status_code, "code": code, "detail": str(detail)}
    return response
