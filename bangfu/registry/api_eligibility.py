"""POST /api/v1/eligibility-check: classify household facts sent in the body, saving nothing.

The body carries the facts of a household that has no archive yet (or a "what if" of one that has):
where it lives, the evaluation date, its members, the monthly incomes of the last 12 months, expenses,
assets, causes and the roster/migrant flags. The answer is the category, the common level, the standard,
the formula version and the full explanation: exactly what the archive would get, because the body is
turned into the engine's `Facts` and goes through the same `inputs_from_facts` and `evaluate` as a
stored household (`bangfu.registry.classification.engine`). Nothing is written to the database.

Staff with `registry.view_classification` only; anyone else gets the platform's 404 (as the other
registry endpoints answer a missing permission). Invalid input is a 400 with the uniform error body,
errors keyed by field path ("members.1.birth_date", "incomes.3.amount", "secondary_causes").
"""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from bangfu.api.base import ApiViewMixin
from bangfu.api.schema import ErrorSerializer
from bangfu.orgs.models import Division
from bangfu.registry.classification.engine import Facts, MemberFacts, evaluate, inputs_from_facts
from bangfu.registry.classification.params import resolve
from bangfu.registry.models import CodeItem, CommonLevel, ExpenseGroup

PERMISSION = "registry.view_classification"
MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
# Evaluation dates the engine's windows can be computed for (12 months back, 61 years of age).
EARLIEST_ON, LATEST_ON = dt.date(1950, 1, 1), dt.date(2100, 12, 31)
AMOUNT = {"max_digits": 12, "decimal_places": 2, "min_value": 0}


def _active_codes(code_list: str) -> dict[str, dict]:
    return dict(CodeItem.objects.active().of(code_list).values_list("code", "flags"))


def _unknown_code(value: str) -> str:
    return _("“%(value)s” is not a valid code of this list.") % {"value": value}


class MemberSerializer(serializers.Serializer):
    birth_date = serializers.DateField(help_text="Birth date (YYYY-MM-DD).")
    able_to_work = serializers.BooleanField(default=True, help_text="Able-bodied.")
    is_student = serializers.BooleanField(default=False)
    work_status = serializers.CharField(
        max_length=24, required=False, allow_blank=True, default="",
        help_text="Code of the work_status list (e.g. employed, laid_off, unemployed, none).",
    )
    evidence_of_no_income = serializers.BooleanField(
        default=False, help_text="Evidence that the member cannot earn: no minimum wage is imputed."
    )


class IncomeSerializer(serializers.Serializer):
    member = serializers.IntegerField(min_value=0, help_text="Index of the member in `members` (0 = the head).")
    month = serializers.CharField(max_length=7, help_text="YYYY-MM")
    income_type = serializers.CharField(max_length=24, help_text="Code of the income_type list (e.g. wage).")
    amount = serializers.DecimalField(**AMOUNT, help_text="Yuan, at least 0.")

    def validate_month(self, value):
        match = MONTH_RE.match(value)
        if not match or int(match.group(1)) < 1900:
            raise serializers.ValidationError(_("Enter a month as YYYY-MM."))
        return dt.date(int(match.group(1)), int(match.group(2)), 1)


class ExpenseSerializer(serializers.Serializer):
    group = serializers.ChoiceField(
        choices=ExpenseGroup.choices, required=False,
        help_text="rigid, accident or offset; taken from the kind's code when omitted.",
    )
    kind = serializers.CharField(
        max_length=24, required=False, allow_blank=True, default="",
        help_text="Code of the expense_kind list (e.g. medical, education, disaster, insurance).",
    )
    date = serializers.DateField(help_text="When the cost was incurred (YYYY-MM-DD).")
    amount = serializers.DecimalField(**AMOUNT, help_text="Yuan, at least 0.")


class AssetsSerializer(serializers.Serializer):
    residential_homes = serializers.IntegerField(min_value=0, max_value=100, default=0)
    non_residential_property = serializers.BooleanField(default=False)
    business_with_employees = serializers.BooleanField(default=False)
    high_fee_private_school = serializers.BooleanField(default=False)
    studying_abroad_own_cost = serializers.BooleanField(default=False)
    motor_vehicle = serializers.BooleanField(default=False)
    savings = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, default=0)
    net_investment_assets = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, default=0)


class EligibilityRequestSerializer(serializers.Serializer):
    division = serializers.CharField(
        max_length=6, help_text="GB/T 2260 code of the division where the household lives (e.g. 440106)."
    )
    on = serializers.DateField(required=False, help_text="Evaluation date; default today.")
    on_minimum_living_roster = serializers.BooleanField(default=False)
    below_line_after_government_aid = serializers.BooleanField(default=False)
    is_migrant_worker = serializers.BooleanField(default=False)
    union_member = serializers.BooleanField(default=True, help_text="Migrant condition: the head is a union member.")
    lives_in_city = serializers.BooleanField(default=True, help_text="Migrant condition: the head lives in the city.")
    labour_relation_since = serializers.DateField(
        required=False, allow_null=True, default=None,
        help_text="Migrant condition: start of the head's labour relationship (≥ 1 year before the date).",
    )
    members = MemberSerializer(many=True, min_length=1, max_length=30, help_text="The head first.")
    incomes = IncomeSerializer(many=True, required=False, default=list, max_length=1000)
    expenses = ExpenseSerializer(many=True, required=False, default=list, max_length=500)
    assets = AssetsSerializer(required=False, allow_null=True, default=None)
    main_cause = serializers.CharField(max_length=24, help_text="Code of the cause list (exactly one).")
    secondary_causes = serializers.ListField(
        child=serializers.CharField(max_length=24), required=False, default=list, max_length=3,
        help_text="Up to three more cause codes.",
    )

    def validate(self, data):
        errors: dict[str, list[str]] = {}

        def add(key, message):
            errors.setdefault(key, []).append(message)

        on = data.get("on") or timezone.localdate()
        if not EARLIEST_ON <= on <= LATEST_ON:
            add("on", _("Enter a date between %(first)s and %(last)s.") % {"first": EARLIEST_ON, "last": LATEST_ON})
        data["on"] = on
        if not Division.objects.filter(pk=data["division"]).exists():
            add("division", _("Unknown division code “%(code)s”.") % {"code": data["division"]})

        work_statuses = _active_codes("work_status")
        for i, member in enumerate(data["members"]):
            if member["work_status"] and member["work_status"] not in work_statuses:
                add(f"members.{i}.work_status", _unknown_code(member["work_status"]))
            if member["birth_date"] > on:
                add(f"members.{i}.birth_date", _("The birth date is after the evaluation date."))

        income_types = _active_codes("income_type")
        seen = set()
        for i, row in enumerate(data["incomes"]):
            if row["member"] >= len(data["members"]):
                add(f"incomes.{i}.member", _("There is no member with this index."))
            if row["income_type"] not in income_types:
                add(f"incomes.{i}.income_type", _unknown_code(row["income_type"]))
            key = (row["member"], row["month"], row["income_type"])
            if key in seen:
                add(f"incomes.{i}", _("This member already has an income of this type in this month."))
            seen.add(key)

        kinds = _active_codes("expense_kind")
        for i, row in enumerate(data["expenses"]):
            kind, group = row["kind"], row.get("group")
            if kind and kind not in kinds:
                add(f"expenses.{i}.kind", _unknown_code(kind))
            elif kind:
                kind_group = kinds[kind].get("group")
                if group and group != kind_group:
                    add(f"expenses.{i}.group", _("This kind of expense belongs to another group."))
                row["group"] = kind_group
            elif not group:
                add(f"expenses.{i}.group", _("Give the group or the kind of the expense."))

        causes = _active_codes("cause")
        if data["main_cause"] not in causes:
            add("main_cause", _unknown_code(data["main_cause"]))
        secondary = data["secondary_causes"]
        for code in secondary:
            if code not in causes:
                add("secondary_causes", _unknown_code(code))
        if len(set(secondary)) != len(secondary) or data["main_cause"] in secondary:
            add("secondary_causes", _("Each cause may be given once (the main cause is not repeated)."))
        if errors:
            raise serializers.ValidationError(errors)
        return data


class EligibilityResultSerializer(serializers.Serializer):
    category = serializers.CharField(help_text="Category code; empty when the household cannot be classified.")
    category_label = serializers.CharField()
    common_level = serializers.CharField()
    common_level_label = serializers.CharField()
    scheme = serializers.CharField(help_text="Standard A or B, as configured for the division on the date.")
    formula_version = serializers.CharField()
    status = serializers.CharField(help_text="eligible, not_eligible, excluded, no_line or no_members.")
    evaluated_on = serializers.DateField()
    reasons = serializers.ListField(child=serializers.CharField(), help_text="The explanation in plain words.")
    explanation = serializers.DictField(help_text="Inputs, parameters with their dates, each test and exclusion.")


def flatten_errors(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested errors as {"members.1.birth_date": [...], ...} (the documented error body is flat)."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            # A list's or object's own errors ("Ensure this field has at least 1 elements.") go under its name.
            name = prefix if key in ("non_field_errors", "__all__") else f"{prefix}{key}."
            for k, v in flatten_errors(value, name).items():
                out.setdefault(k, []).extend(v)
    elif isinstance(detail, list) and any(isinstance(item, dict | list) for item in detail):
        for index, item in enumerate(detail):
            if item:
                for k, v in flatten_errors(item, f"{prefix}{index}.").items():
                    out.setdefault(k, []).extend(v)
    else:
        items = detail if isinstance(detail, list) else [detail]
        out.setdefault(prefix.rstrip(".") or "non_field_errors", []).extend(str(i) for i in items)
    return out


def facts_from_body(data: dict) -> Facts:
    members = [
        MemberFacts(
            key=i, birth_date=m["birth_date"], is_head=(i == 0), able_to_work=m["able_to_work"],
            is_student=m["is_student"], work_status=m["work_status"],
            evidence_of_no_income=m["evidence_of_no_income"],
            is_union_member=data["union_member"], lives_in_city=data["lives_in_city"],
            labour_relation_since=data["labour_relation_since"],
        )
        for i, m in enumerate(data["members"])
    ]
    return Facts(
        members=members,
        incomes=[(r["member"], r["month"], r["income_type"], r["amount"]) for r in data["incomes"]],
        expenses=[(r["group"], r["date"], r["amount"]) for r in data["expenses"]],
        assets=dict(data["assets"]) if data.get("assets") else None,
        causes={data["main_cause"], *data["secondary_causes"]},
        roster=data["on_minimum_living_roster"], after_aid=data["below_line_after_government_aid"],
        migrant=data["is_migrant_worker"],
    )


def check(data: dict):
    """The engine's Result for a validated body (no database writes)."""
    params = resolve(data["division"], data["on"])
    return evaluate(inputs_from_facts(facts_from_body(data), params), params)


EXAMPLE = {
    "division": "440106", "on": "2026-10-31",
    "members": [{"birth_date": "1980-05-17", "work_status": "employed"}],
    "incomes": [
        {"member": 0, "month": month, "income_type": "wage", "amount": "900.00"}
        for month in ["2025-11", "2025-12", *(f"2026-{m:02d}" for m in range(1, 11))]
    ],
    "expenses": [{"kind": "medical", "date": "2026-06-01", "amount": "1200.00"}],
    "main_cause": "3", "secondary_causes": ["6"],
}


class EligibilityCheckView(ApiViewMixin, APIView):
    """Classify household facts without storing anything (pre-check before opening an archive)."""

    parser_classes = [JSONParser]

    @extend_schema(
        request=EligibilityRequestSerializer,
        responses={200: EligibilityResultSerializer, 400: OpenApiResponse(ErrorSerializer),
                   404: OpenApiResponse(ErrorSerializer, description="Not available to this user.")},
        examples=[OpenApiExample("One worker, wage 900 a month", value=EXAMPLE, request_only=True)],
        summary="Eligibility check (saves nothing)", tags=["households"],
    )
    def post(self, request):
        from bangfu.registry.panels.classification import category_label, plain_lines

        user = request.user
        if getattr(user, "kind", "staff") != "staff" or not user.has_role_permission(PERMISSION):
            raise NotFound()
        if not isinstance(request.data, dict):
            raise ApiValidationError({"non_field_errors": [_("Send a JSON object.")]})
        serializer = EligibilityRequestSerializer(data=request.data)
        if not serializer.is_valid():
            raise ApiValidationError(flatten_errors(serializer.errors))
        result = check(serializer.validated_data)
        level = result.common_level
        return Response({
            "category": result.category,
            "category_label": category_label(result.category),
            "common_level": level,
            "common_level_label": str(CommonLevel(level).label) if level in CommonLevel.values else level,
            "scheme": result.scheme,
            "formula_version": result.formula_version,
            "status": result.explanation.get("status", ""),
            "evaluated_on": serializer.validated_data["on"],
            "reasons": plain_lines(result.explanation),
            "explanation": result.explanation,
        })

