"""Funds API, the reports (registered in bangfu/api/urls.py) — thin wrappers over `bangfu.funds.reports` and
`bangfu.funds.reports_account`, the same functions as the report pages:

    GET /api/v1/fund-reports/usage/?org=&year=&month_from=&month_to=&source=&category=
    GET /api/v1/fund-reports/households/?org=&year=&sort=&limit=&offset=
    GET /api/v1/fund-reports/account/?org=&year=&source=&category=&limit=&offset=

`org` is a union of the user's subtree (anything else is a 404; default: the user's own union). Amounts are
yuan strings. The household and account reports show masked names of households: each read is logged.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from bangfu import audit
from bangfu.api.base import ApiViewMixin
from bangfu.api.pagination import LimitOffsetPagination
from bangfu.api.schema import ErrorSerializer
from bangfu.funds.api.base import MAX_ID, NOT_ALLOWED, YuanField
from bangfu.funds.models import AidCategory, FundSource
from bangfu.funds.reports import Period, usage_report
from bangfu.funds.reports_account import (
    ACCOUNT_COLUMNS,
    HOUSEHOLD_SORTS,
    account_summary,
    account_transactions,
    carried_into,
    household_rows,
    household_summary,
    reconcile,
    with_running_balances,
)
from bangfu.orgs.models import Org

YUAN = {"type": "string", "pattern": r"^-?\d+\.\d{2}$", "example": "1234.50"}
NO_ORG = OpenApiResponse(ErrorSerializer, description=_("The union is not in your subtree."))


def yuan(fen) -> str | None:
    return None if fen is None else YuanField().to_representation(fen)




@extend_schema_field(YUAN)
class YuanText(serializers.CharField):
    """An amount already converted to a yuan string (documented with its pattern)."""


# --- query parameters ---------------------------------------------------------------------------------------


class ReportQuerySerializer(serializers.Serializer):
    org = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False,
                                   help_text=_("A union of your subtree (default: your own)."))
    year = serializers.IntegerField(min_value=2000, max_value=2100, required=False,
                                    help_text=_("Budget year (default: this year)."))
    source = serializers.CharField(max_length=24, required=False, help_text=_("Code of one fund source."))
    category = serializers.ChoiceField(choices=AidCategory.choices, required=False)

    def validate_source(self, value):
        source = FundSource.objects.filter(code=value).first()
        if source is None:
            raise serializers.ValidationError(_("Unknown fund source code."), code="source")
        return source


class UsageQuerySerializer(ReportQuerySerializer):
    month_from = serializers.IntegerField(min_value=1, max_value=12, required=False, help_text=_("Default 1."))
    month_to = serializers.IntegerField(min_value=1, max_value=12, required=False, help_text=_("Default 12."))

    def validate(self, attrs):
        if attrs.get("month_from", 1) > attrs.get("month_to", 12):
            raise serializers.ValidationError({"month_to": [_("The last month comes before the first.")]})
        return attrs


class HouseholdQuerySerializer(serializers.Serializer):
    org = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False,
                                   help_text=_("A union of your subtree (default: your own)."))
    year = serializers.IntegerField(min_value=2000, max_value=2100, required=False,
                                    help_text=_("Budget year (default: this year)."))
    sort = serializers.ChoiceField(choices=[(k, k) for k in HOUSEHOLD_SORTS], required=False,
                                   help_text=_("Order of the households (default: -total)."))
    limit = serializers.IntegerField(min_value=1, max_value=LimitOffsetPagination.max_limit, required=False)
    offset = serializers.IntegerField(min_value=0, max_value=MAX_ID, required=False)


class AccountQuerySerializer(ReportQuerySerializer):
    limit = serializers.IntegerField(min_value=1, max_value=LimitOffsetPagination.max_limit, required=False)
    offset = serializers.IntegerField(min_value=0, max_value=MAX_ID, required=False)


# --- answers ------------------------------------------------------------------------------------------------


class UsageFiguresSerializer(serializers.Serializer):
    """Each figure as defined in `bangfu.funds.reports` (yuan)."""

    opening = YuanText()
    budget = YuanText()
    alloc_in = YuanText()
    alloc_out = YuanText(allow_null=True, help_text=_("Passed down to child unions (own row only)."))
    approved = YuanText()
    paid = YuanText()
    returned = YuanText()
    reserved_end = YuanText()
    available_end = YuanText()


class UsageRowSerializer(serializers.Serializer):
    label = serializers.CharField()
    kind = serializers.ChoiceField(choices=[(k, k) for k in ("own", "child", "total", "source", "category")])
    org = serializers.IntegerField(allow_null=True)
    figures = UsageFiguresSerializer()
    balances = serializers.BooleanField(help_text=_("opening + budget + received − passed down − paid = "
                                                    "reserved + available at the end"))


class UsageReportSerializer(serializers.Serializer):
    org = serializers.IntegerField()
    org_name = serializers.CharField()
    year = serializers.IntegerField()
    month_from = serializers.IntegerField()
    month_to = serializers.IntegerField()
    source = serializers.CharField(allow_null=True)
    category = serializers.CharField(allow_null=True)
    own = UsageRowSerializer(help_text=_("The union's own accounts."))
    children = UsageRowSerializer(many=True, help_text=_("One row per child union, its whole subtree."))
    quiet_children = serializers.IntegerField(help_text=_("Child unions with no figures in the period."))
    total = UsageRowSerializer(help_text=_("The whole subtree."))
    by_source = UsageRowSerializer(many=True)
    by_category = UsageRowSerializer(many=True)


class HouseholdRowSerializer(serializers.Serializer):
    household = serializers.IntegerField()
    archive_number = serializers.CharField()
    head_name_masked = serializers.CharField()
    payments = serializers.IntegerField()
    total = YuanText()
    categories = serializers.DictField(child=YuanText(), help_text=_("Paid per category (yuan)."))


class HouseholdSummarySerializer(serializers.Serializer):
    households = serializers.IntegerField()
    payments = serializers.IntegerField()
    total = YuanText()
    categories = serializers.DictField(child=YuanText())


class PageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)


class HouseholdReportSerializer(PageSerializer):
    org = serializers.IntegerField()
    year = serializers.IntegerField()
    summary = HouseholdSummarySerializer()
    results = HouseholdRowSerializer(many=True)


class AccountLineSerializer(serializers.Serializer):
    source = serializers.CharField(allow_null=True)
    category = serializers.CharField()
    figures = serializers.DictField(child=YuanText(), help_text=", ".join(ACCOUNT_COLUMNS))
    balances = serializers.BooleanField()


class AccountRowSerializer(serializers.Serializer):
    transaction = serializers.IntegerField()
    posted_on = serializers.DateField()
    kind = serializers.CharField()
    memo = serializers.CharField(allow_blank=True)
    reason = serializers.CharField(allow_blank=True)
    source = serializers.CharField(allow_null=True)
    category = serializers.CharField()
    counterpart = serializers.CharField(allow_blank=True, help_text=_("The other union of an allocation."))
    household_archive_number = serializers.CharField(allow_null=True)
    household_head_name_masked = serializers.CharField(allow_null=True)
    available = YuanText(help_text=_("Change of the available money."))
    reserved = YuanText(help_text=_("Change of the reserved money."))
    paid = YuanText(help_text=_("Change of the paid money."))
    available_balance = YuanText()
    reserved_balance = YuanText()


class AccountReportSerializer(PageSerializer):
    org = serializers.IntegerField()
    year = serializers.IntegerField()
    lines = AccountLineSerializer(many=True)
    totals = serializers.DictField(child=YuanText())
    reconciled = serializers.BooleanField(help_text=_("The ledger's entries agree with the cached balances."))
    problems = serializers.ListField(child=serializers.CharField())
    results = AccountRowSerializer(many=True, help_text=_("The transactions, with running balances."))


# --- the endpoints ---------------------------------------------------------------------------------------------


def _row(row) -> dict:
    return {"label": row.label, "kind": row.kind, "org": row.org.pk if row.org is not None else None,
            "figures": {name: yuan(value) for name, value in row.figures().items()}, "balances": row.balances}


def _categories(values: dict) -> dict:
    return {c: yuan(values.get(f"cat_{c}") or 0) for c in AidCategory.values}


class FundReportViewSet(ApiViewMixin, viewsets.GenericViewSet):
    """The fund reports of a union's subtree (staff holding the report's read permission; 403 otherwise)."""

    serializer_class = UsageReportSerializer
    pagination_class = LimitOffsetPagination
    filter_backends: list = []

    def _setup(self, query_class, permission: str):
        user = self.request.user
        if user.kind != "staff" or not user.org_id or not user.has_role_permission(permission):
            raise exceptions.PermissionDenied(_("Your role may not read this report."))
        query = query_class(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        data = dict(query.validated_data)
        org = user.org if "org" not in data else Org.objects.restrict(user, "view").filter(pk=data["org"]).first()
        if org is None:
            raise exceptions.NotFound()
        data.setdefault("year", timezone.localdate().year)
        return user, org, data

    def _page(self, rows) -> tuple[list, dict]:
        paginator = self.paginator
        page = paginator.paginate_queryset(rows, self.request, view=self)
        return list(page), {"count": paginator.count, "next": paginator.get_next_link(),
                            "previous": paginator.get_previous_link()}

    @extend_schema(summary=_("Fund usage by union subtree, source and category"), parameters=[UsageQuerySerializer],
                   responses={200: UsageReportSerializer, 403: NOT_ALLOWED, 404: NO_ORG}, filters=False)
    @action(detail=False, methods=["get"], pagination_class=None)
    def usage(self, request, *args, **kwargs):
        user, org, data = self._setup(UsageQuerySerializer, "funds.view_monthlytotal")
        period = Period(data["year"], data.get("month_from", 1), data.get("month_to", 12))
        report = usage_report(user, org, period, source=data.get("source"), category=data.get("category"))
        return Response({
            "org": org.pk, "org_name": org.name, "year": period.year, "month_from": period.month_from,
            "month_to": period.month_to, "source": report.source.code if report.source else None,
            "category": report.category, "own": _row(report.own), "children": [_row(r) for r in report.children],
            "quiet_children": report.quiet_children, "total": _row(report.total),
            "by_source": [_row(r) for r in report.by_source], "by_category": [_row(r) for r in report.by_category],
        })

    @extend_schema(summary=_("Payments per household of a union's subtree in a year (names masked)"),
                   parameters=[HouseholdQuerySerializer],
                   responses={200: HouseholdReportSerializer, 403: NOT_ALLOWED, 404: NO_ORG}, filters=False)
    @action(detail=False, methods=["get"])
    def households(self, request, *args, **kwargs):
        user, org, data = self._setup(HouseholdQuerySerializer, "funds.view_disbursement")
        year, sort = data["year"], data.get("sort") or "-total"
        summary = household_summary(user, org, year)
        rows, page = self._page(household_rows(user, org, year, sort))
        audit.log_access(request, "view", object_type="funds.report_households", object_id=str(org.pk), year=year,
                         rows=len(rows), sort=sort, what="api")
        return Response({
            **page, "org": org.pk, "year": year,
            "summary": {"households": summary["households"], "payments": summary["payments"],
                        "total": yuan(summary["total"]), "categories": _categories(summary)},
            "results": [{"household": r["household_id"], "archive_number": r["household__archive_number"],
                         "head_name_masked": r["household__head_name_masked"], "payments": r["payments"],
                         "total": yuan(r["total"]), "categories": _categories(r)} for r in rows],
        })

    @extend_schema(summary=_("The yearly fund account (台账) of one union, with its transactions"),
                   parameters=[AccountQuerySerializer],
                   responses={200: AccountReportSerializer, 403: NOT_ALLOWED, 404: NO_ORG}, filters=False)
    @action(detail=False, methods=["get"])
    def account(self, request, *args, **kwargs):
        user, org, data = self._setup(AccountQuerySerializer, "funds.view_ledgerentry")
        year, source, category = data["year"], data.get("source"), data.get("category")
        lines, totals = account_summary(user, org, year, source=source, category=category)
        problems = reconcile(user, org, year)
        rows, page = self._page(account_transactions(user, org, year, source=source, category=category))
        first = rows[0] if rows and self.paginator.offset else None
        carried = carried_into(user, org, year, first, source=source, category=category)
        sources = {s.pk: s for s in FundSource.objects.all()}
        labels = dict(AidCategory.choices)
        audit.log_access(request, "view", object_type="funds.report_account", object_id=str(org.pk), year=year,
                         rows=len(rows), what="api")
        return Response({
            **page, "org": org.pk, "year": year,
            "lines": [{"source": line.source.code if line.source else None, "category": line.category,
                       "figures": {k: yuan(v) for k, v in line.figures.items()}, "balances": line.balances}
                      for line in lines],
            "totals": {k: yuan(v) for k, v in totals.items()}, "reconciled": not problems, "problems": problems,
            "results": [{
                "transaction": r["transaction_id"], "posted_on": r["posted_on"], "kind": r["transaction__kind"],
                "memo": r["transaction__memo"], "reason": r["transaction__reason"],
                "source": sources[r["source_id"]].code if r["source_id"] in sources else None,
                "category": r["category"], "counterpart": r["counterpart"],
                "household_archive_number": r["household__archive_number"],
                "household_head_name_masked": r["household__head_name_masked"],
                **{k: yuan(r[k]) for k in ("available", "reserved", "paid", "available_balance",
                                           "reserved_balance")},
            } for r in with_running_balances(rows, carried, sources, labels)],
        })
