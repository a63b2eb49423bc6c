"""What every endpoint of the funds API shares: money in yuan strings, rule refusals as 400, filters.

* Money is stored as whole fen; the API speaks yuan as decimal strings with two decimals ("1234.50"),
  both ways. `YuanField` converts with `bangfu.funds.money` (`to_fen` / `to_yuan`) only.
* A write function that refuses (`FundsRefused`, one `RuleBreach` per broken rule) answers 400 with the
  platform's error body plus the rules:

      {"status": 400, "code": "cap_living", "detail": "<first message>",
       "rules": [{"code": "cap_living", "message": "...", "field": "amount"}, ...]}

  The write functions roll back before raising, so a refused request has changed nothing.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema_field
from rest_framework import exceptions, serializers

from bangfu.api.base import ScopedViewSetMixin
from bangfu.api.schema import ErrorSerializer
from bangfu.funds.models import AidCategory
from bangfu.funds.money import MoneyError, to_fen, to_yuan
from bangfu.funds.services import FundsRefused

MAX_ID = 2**63 - 1  # a bigger id in a filter or body is a 400 (SQLite cannot even bind it), not a 500
# The largest single amount the API accepts (1,000,000,000.00 yuan): far above any real budget, and far
# below what would overflow a 64-bit sum of many of them.
MAX_FEN = 100_000_000_000
YUAN_PATTERN = r"^-?\d+\.\d{2}$"


@extend_schema_field({"type": "string", "pattern": YUAN_PATTERN, "example": "1234.50"})
class YuanField(serializers.Field):
    """Yuan as a decimal string with two decimals; the model attribute holds whole fen."""

    default_error_messages = {
        "invalid": _("Enter an amount in yuan with at most two decimals, e.g. 1234.50."),
        "positive": _("The amount must be more than zero."),
        "too_large": _("The amount is too large."),
    }

    def to_representation(self, value):
        return str(to_yuan(value or 0))

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, str | int | float):
            self.fail("invalid")
        text = str(data)
        # No exponents ("1e999999" would be a million-digit number): plain decimals only.
        if len(text) > 32 or "e" in text.lower():
            self.fail("invalid")
        try:
            fen = to_fen(text)
        except (MoneyError, ArithmeticError):
            self.fail("invalid")
        if fen <= 0:
            self.fail("positive")
        if fen > MAX_FEN:
            self.fail("too_large")
        return fen


class RuleSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=_("A stable code of the rule, e.g. cap_living or own_payment."))
    message = serializers.CharField(help_text=_("The rule with its numbers, in the user's language."))
    field = serializers.CharField(allow_blank=True, help_text=_("The input field it concerns, if any."))


class RefusalSerializer(ErrorSerializer):
    """The error body, with the fund rules that refused the request (when a rule refused it)."""

    rules = RuleSerializer(many=True, required=False, help_text=_("Every fund rule the request breaks."))

    class Meta:
        ref_name = "FundsError"


REFUSED = OpenApiResponse(RefusalSerializer, description=_(
    "Invalid input (errors by field), or refused by the fund rules (each rule with its code and message); "
    "nothing was changed."))
NOT_ALLOWED = OpenApiResponse(ErrorSerializer, description=_("Your role may not do this."))


class RuleRefusal(exceptions.APIException):
    status_code = 400
    default_code = "refused"

    def __init__(self, refused: FundsRefused):
        self.breaches = refused.breaches
        first = self.breaches[0] if self.breaches else None
        super().__init__(detail=first.message if first else _("Refused by the fund rules."),
                         code=first.code if first else None)


class FundsApiMixin(ScopedViewSetMixin):
    """Scoped viewsets of the funds app; a `FundsRefused` from a write function becomes the 400 above."""

    def handle_exception(self, exc):
        if isinstance(exc, FundsRefused):
            exc = RuleRefusal(exc)
        response = super().handle_exception(exc)
        if isinstance(exc, RuleRefusal):
            response.data["rules"] = [{"code": b.code, "message": str(b.message), "field": b.field}
                                      for b in exc.breaches]
        return response

    def require(self, permission: str) -> None:
        """A write on the collection (create) needs the role permission; 403 otherwise (nothing leaks)."""
        if not self.request.user.has_role_permission(permission):
            raise exceptions.PermissionDenied(_("Your role may not do this."))

    def validated(self, serializer_class, **kwargs):
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context(), **kwargs)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


# --- filters --------------------------------------------------------------------------------------------


class IntegerFilter(filters.NumberFilter):
    """A whole-number filter (django-filter's NumberFilter takes decimals)."""

    field_class = forms.IntegerField


def id_filter(field_name: str, label) -> IntegerFilter:
    return IntegerFilter(field_name=field_name, min_value=1, max_value=MAX_ID, label=label)


def year_filter() -> IntegerFilter:
    return IntegerFilter(field_name="year", min_value=2000, max_value=2100, label=_("budget year"))


def source_filter(field_name: str = "source__code") -> filters.CharFilter:
    return filters.CharFilter(field_name=field_name, max_length=24, label=_("source code"))


def category_filter(field_name: str = "category") -> filters.ChoiceFilter:
    return filters.ChoiceFilter(field_name=field_name, choices=AidCategory.choices, label=_("category"))
