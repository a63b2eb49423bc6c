"""Funds API, the money side (registered in bangfu/api/urls.py):

    GET       /api/v1/fund-sources/                     sources and the categories each may pay
    GET/POST  /api/v1/fund-budgets/                     budgets in scope / record one (record_budget)
    GET       /api/v1/fund-budgets/{id}/
    GET/POST  /api/v1/fund-allocations/                 allocations seen by either end / allocate one level down
    GET       /api/v1/fund-allocations/{id}/
    GET       /api/v1/fund-balances/                    balances of the accounts in scope
    GET       /api/v1/fund-transactions/                ledger transactions with their entries
    GET       /api/v1/fund-transactions/{id}/
    POST      /api/v1/fund-transactions/{id}/reverse/   correct one with a reversing transaction

Every query goes through `restrict(user, action)` (`FundsApiMixin`), so another union's row is a 404;
every write through `bangfu.funds.services`, whose refusals answer 400 with the rules that refused.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import OuterRef, Prefetch, Subquery
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from bangfu.api.base import ReferenceViewSetMixin
from bangfu.core.scoping import assert_in_scope
from bangfu.funds.api.base import (
    NOT_ALLOWED,
    REFUSED,
    FundsApiMixin,
    category_filter,
    id_filter,
    source_filter,
    year_filter,
)
from bangfu.funds.api.serializers import (
    AllocationCreateSerializer,
    AllocationSerializer,
    BalanceSerializer,
    BudgetCreateSerializer,
    BudgetSerializer,
    FundSourceSerializer,
    LedgerTransactionSerializer,
    ReverseSerializer,
)
from bangfu.funds.models import (
    Allocation,
    Balance,
    Bucket,
    Budget,
    FundSource,
    LedgerEntry,
    LedgerTransaction,
    TransactionKind,
)
from bangfu.funds.services.budgets import allocate, record_budget, reverse_transaction

# --- sources ---------------------------------------------------------------------------------------------


@extend_schema_view(list=extend_schema(summary=_("Fund sources and the categories each may pay")))
class FundSourceViewSet(ReferenceViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The platform's sources: reference data, the same list for every union (configured in the admin)."""

    queryset = FundSource.objects.order_by("sort_order", "code")
    serializer_class = FundSourceSerializer


# --- budgets ---------------------------------------------------------------------------------------------


class BudgetFilter(filters.FilterSet):
    org = id_filter("org_id", _("union id"))
    year = year_filter()
    source = source_filter()
    category = category_filter()

    class Meta:
        model = Budget
        fields = ["org", "year", "source", "category"]


@extend_schema_view(
    list=extend_schema(summary=_("Budgets received by the unions you may see")),
    retrieve=extend_schema(summary=_("One budget")),
    create=extend_schema(summary=_("Record a yearly budget received"), request=BudgetCreateSerializer,
                         responses={201: BudgetSerializer, 400: REFUSED, 403: NOT_ALLOWED}),
)
class BudgetViewSet(FundsApiMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                    viewsets.GenericViewSet):
    queryset = Budget.objects.select_related("org", "source").order_by("-year", "-id")
    serializer_class = BudgetSerializer
    filterset_class = BudgetFilter

    def create(self, request, *args, **kwargs):
        self.require("funds.add_budget")
        data = self.validated(BudgetCreateSerializer)
        with transaction.atomic():
            budget = record_budget(
                org=data["org"], source=data["source"], year=data["year"], category=data["category"],
                amount_fen=data["amount"], actor=request.user, document_ref=data.get("document_ref", ""),
                received_on=data.get("received_on"), note=data.get("note", ""))
            assert_in_scope(budget, request.user, "view")
        budget = self.queryset.get(pk=budget.pk)
        return Response(BudgetSerializer(budget).data, status=status.HTTP_201_CREATED)


# --- allocations -----------------------------------------------------------------------------------------


class AllocationFilter(filters.FilterSet):
    from_org = id_filter("from_org_id", _("giving union id"))
    to_org = id_filter("to_org_id", _("receiving union id"))
    year = year_filter()
    source = source_filter()
    category = category_filter()

    class Meta:
        model = Allocation
        fields = ["from_org", "to_org", "year", "source", "category"]


@extend_schema_view(
    list=extend_schema(summary=_("Allocations given or received by the unions you may see")),
    retrieve=extend_schema(summary=_("One allocation")),
    create=extend_schema(summary=_("Allocate money to a child union"), request=AllocationCreateSerializer,
                         responses={201: AllocationSerializer, 400: REFUSED, 403: NOT_ALLOWED}),
)
class AllocationViewSet(FundsApiMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                        viewsets.GenericViewSet):
    queryset = Allocation.objects.select_related("from_org", "to_org", "source").order_by("-year", "-id")
    serializer_class = AllocationSerializer
    filterset_class = AllocationFilter

    def create(self, request, *args, **kwargs):
        self.require("funds.add_allocation")
        data = self.validated(AllocationCreateSerializer)
        with transaction.atomic():
            allocation = allocate(
                from_org=data["from_org"], to_org=data["to_org"], source=data["source"], year=data["year"],
                category=data["category"], amount_fen=data["amount"], actor=request.user,
                document_ref=data.get("document_ref", ""), note=data.get("note", ""))
            assert_in_scope(allocation, request.user, "view")
        allocation = self.queryset.get(pk=allocation.pk)
        return Response(AllocationSerializer(allocation).data, status=status.HTTP_201_CREATED)


# --- balances --------------------------------------------------------------------------------------------


class BalanceFilter(filters.FilterSet):
    org = id_filter("org_id", _("union id"))
    year = year_filter()
    source = source_filter()
    category = category_filter()
    bucket = filters.ChoiceFilter(choices=Bucket.choices, label=_("account"))

    class Meta:
        model = Balance
        fields = ["org", "year", "source", "category", "bucket"]


@extend_schema_view(list=extend_schema(
    summary=_("Balances of the accounts of the unions you may see"),
    description=_("One row per union, source, year, category and bucket (available, reserved, paid, and the "
                  "source bucket counting what was received). Kept by the ledger; `fund-transactions` has "
                  "the movements behind each figure."),
))
class BalanceViewSet(FundsApiMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    queryset = Balance.objects.select_related("org", "source").order_by("org__path", "-year", "source__sort_order",
                                                                        "category", "bucket")
    serializer_class = BalanceSerializer
    filterset_class = BalanceFilter


# --- ledger transactions -----------------------------------------------------------------------------------


class TransactionFilter(filters.FilterSet):
    org = id_filter("org_id", _("union id"))
    year = year_filter()
    kind = filters.ChoiceFilter(choices=TransactionKind.choices, label=_("kind"))
    payment = id_filter("disbursement_id", _("payment id"))
    created = filters.DateFromToRangeFilter(field_name="created_at__date", label=_("recorded on (range)"))

    class Meta:
        model = LedgerTransaction
        fields = ["org", "year", "kind", "payment", "created"]


@extend_schema_view(
    list=extend_schema(summary=_("Ledger transactions of the unions you may see, with their entries")),
    retrieve=extend_schema(summary=_("One ledger transaction with its entries")),
)
class LedgerTransactionViewSet(FundsApiMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                               viewsets.GenericViewSet):
    queryset = (
        LedgerTransaction.objects.select_related("org")
        .prefetch_related(Prefetch("entries", queryset=LedgerEntry.objects.select_related("source")
                                   .order_by("id")))
        .annotate(reversal_id=Subquery(LedgerTransaction.objects.filter(reverses=OuterRef("pk")).values("pk")[:1]))
        .order_by("-id")
    )
    serializer_class = LedgerTransactionSerializer
    filterset_class = TransactionFilter
    # POST reverse/ needs `funds.reverse_ledgertransaction` on the transaction (else it is a 404).
    scope_actions = {"reverse": "reverse"}

    @extend_schema(summary=_("Correct a transaction with a reversing transaction"), request=ReverseSerializer,
                   responses={201: LedgerTransactionSerializer, 400: REFUSED})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def reverse(self, request, pk=None, **kwargs):
        txn = self.get_object()
        data = self.validated(ReverseSerializer)
        correction = reverse_transaction(txn, actor=request.user, reason=data["reason"])
        correction = type(self).queryset.get(pk=correction.pk)
        return Response(self.get_serializer(correction).data, status=status.HTTP_201_CREATED)
