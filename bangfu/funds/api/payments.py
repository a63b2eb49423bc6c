"""Funds API, the payment side (registered in bangfu/api/urls.py):

    GET/POST  /api/v1/payments/                    payments you may see / create one (create_payment)
    GET       /api/v1/payments/{id}/               one payment (payee masked; the read is audited)
    POST      /api/v1/payments/{id}/submit/        submit a draft for approval
    POST      /api/v1/payments/{id}/approve/       decide the next approval step (approve or reject)
    POST      /api/v1/payments/{id}/cancel/        withdraw it (reserved money returns to the balance)
    GET       /api/v1/payments/{id}/approvals/     the decided steps
    GET       /api/v1/payment-batches/             bank batches of the paying unions you may see
    GET       /api/v1/payment-batches/{id}/
    POST      /api/v1/payment-batches/{id}/export/     the bank payment file (fund managers; audited)
    POST      /api/v1/payment-batches/{id}/reconcile/  the bank's result file (multipart upload)

Payments are seen by the paying union's subtree and the household's union's subtree; approving, submitting
and cancelling are for the paying union's subtree (`DisbursementQuerySet.restrict`); a worker reads the
payments to their own household only. Anything else is a 404.
"""

from __future__ import annotations

import base64

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from bangfu import audit
from bangfu.core.scoping import assert_in_scope
from bangfu.funds import bankfiles
from bangfu.funds.api.base import (
    NOT_ALLOWED,
    REFUSED,
    FundsApiMixin,
    YuanField,
    category_filter,
    id_filter,
    year_filter,
)
from bangfu.funds.api.serializers import (
    ApprovalSerializer,
    ApproveSerializer,
    BankFileSerializer,
    BankResultImportSerializer,
    PaymentBatchSerializer,
    PaymentCreateSerializer,
    PaymentSerializer,
    ReasonSerializer,
    ResultFileSerializer,
)
from bangfu.funds.models import Disbursement, DisbursementState, PaymentBatch
from bangfu.funds.services.batches import export_batch, reconcile_batch, with_totals
from bangfu.funds.services.payments import approve_payment, cancel_payment, create_payment, submit_payment

# --- payments ----------------------------------------------------------------------------------------------


class PaymentFilter(filters.FilterSet):
    state = filters.ChoiceFilter(choices=DisbursementState.choices, label=_("state"))
    category = category_filter()
    year = year_filter()
    org = id_filter("org_id", _("paying union id"))
    household = id_filter("household_id", _("household id"))
    batch = id_filter("batch_id", _("bank batch id"))

    class Meta:
        model = Disbursement
        fields = ["state", "category", "year", "org", "household", "batch"]


@extend_schema_view(
    list=extend_schema(summary=_("Payments you may see (payee masked)")),
    retrieve=extend_schema(summary=_("One payment (payee masked)")),
    create=extend_schema(
        summary=_("Create a payment, submitted for approval unless submit is false"),
        description=_("Every rule of paying is checked (archive state, real-name card of the head, the source "
                      "and category, the caps, no duplicate); a refusal lists each rule with its numbers."),
        request=PaymentCreateSerializer, responses={201: PaymentSerializer, 400: REFUSED, 403: NOT_ALLOWED}),
)
class PaymentViewSet(FundsApiMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                     viewsets.GenericViewSet):
    queryset = Disbursement.objects.select_related("org", "household", "source", "student").order_by("-id")
    serializer_class = PaymentSerializer
    filterset_class = PaymentFilter
    scope_actions = {"submit": "change", "cancel": "change", "approve": "approve", "approvals": "view"}

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        rows = len(response.data.get("results", ())) if isinstance(response.data, dict) else len(response.data)
        audit.log_access(request, "view", object_type="funds.disbursement", rows=rows, what="api_list")
        return response

    def retrieve(self, request, *args, **kwargs):
        payment = self.get_object()
        audit.log_access(request, "view", obj=payment, what="api_detail")
        return Response(self.get_serializer(payment).data)

    def create(self, request, *args, **kwargs):
        self.require("funds.add_disbursement")
        data = self.validated(PaymentCreateSerializer)
        with transaction.atomic():
            payment = create_payment(
                org=data["org"], household=data["household"], source=data["source"], category=data["category"],
                amount_fen=data["amount"], item=data["item"], period=data["period"], actor=request.user,
                year=data.get("year"), student=data.get("student"), out_of_pocket_fen=data.get("out_of_pocket"),
                receipt=data.get("receipt"), note=data.get("note", ""), submit=data["submit"])
            assert_in_scope(payment, request.user, "view")
        return Response(self._fresh(payment), status=status.HTTP_201_CREATED)

    def _fresh(self, payment) -> dict:
        return PaymentSerializer(type(self).queryset.get(pk=payment.pk)).data

    @extend_schema(summary=_("Submit a draft payment for approval"), request=None,
                   responses={200: PaymentSerializer, 400: REFUSED})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def submit(self, request, pk=None, **kwargs):
        payment = submit_payment(self.get_object(), request.user)
        return Response(self._fresh(payment))

    @extend_schema(
        summary=_("Decide the next approval step"),
        description=_("The creator of a payment never approves it, nobody decides two steps of one payment, the "
                      "step's role decides it, and a leadership step needs the meeting date and minutes number. "
                      "At the last step the caps and the balance are checked again and the money is reserved."),
        request=ApproveSerializer, responses={200: PaymentSerializer, 400: REFUSED})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def approve(self, request, pk=None, **kwargs):
        payment = self.get_object()
        data = self.validated(ApproveSerializer)
        payment = approve_payment(payment, request.user, decision=data["decision"], comment=data.get("comment", ""),
                                  meeting_date=data.get("meeting_date"), minutes_ref=data.get("minutes_ref", ""),
                                  minutes=data.get("minutes", ""))
        return Response(self._fresh(payment))

    @extend_schema(summary=_("Cancel a payment not yet sent to the bank"), request=ReasonSerializer,
                   responses={200: PaymentSerializer, 400: REFUSED})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def cancel(self, request, pk=None, **kwargs):
        payment = self.get_object()
        data = self.validated(ReasonSerializer)
        payment = cancel_payment(payment, request.user, reason=data["reason"])
        return Response(self._fresh(payment))

    @extend_schema(summary=_("The decided approval steps of a payment"), responses={200: ApprovalSerializer(many=True)},
                   filters=False)
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def approvals(self, request, pk=None, **kwargs):
        payment = self.get_object()
        # Whoever sees the payment and may read approvals sees its steps (a worker reads the payment only).
        rows = payment.approvals.select_related("decided_by").order_by("step")
        if not request.user.has_role_permission("funds.view_approval"):
            rows = rows.none()
        return Response(ApprovalSerializer(rows, many=True).data)


# --- bank batches ------------------------------------------------------------------------------------------


class BatchFilter(filters.FilterSet):
    state = filters.ChoiceFilter(choices=PaymentBatch.State.choices, label=_("state"))
    org = id_filter("org_id", _("paying union id"))

    class Meta:
        model = PaymentBatch
        fields = ["state", "org"]


@extend_schema_view(
    list=extend_schema(summary=_("Bank batches of the paying unions you may see"),
                       description=_("Its payments: GET /api/v1/payments/?batch={id}.")),
    retrieve=extend_schema(summary=_("One bank batch")),
)
class PaymentBatchViewSet(FundsApiMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    # The same counts as the batch pages (cancelled and rejected payments do not count).
    queryset = with_totals(PaymentBatch.objects.select_related("org")).order_by("-id")
    serializer_class = PaymentBatchSerializer
    filterset_class = BatchFilter
    # The file holds full account numbers: `funds.export_paymentbatch` (fund managers), else a 404.
    scope_actions = {"export": "export", "reconcile": "change"}

    @extend_schema(
        summary=_("Export the bank payment file (full account numbers, encrypted ZIP)"),
        description=_(
            "The same file as the batch page: a CSV in a ZIP encrypted with AES-256 under a new one-time password, "
            "returned once in this answer and never stored. The first export sends the batch to the bank (its "
            "payments wait for the bank's result); a re-export lists the payments still waiting. Every export "
            "is written to the access log."),
        request=None, responses={200: BankFileSerializer, 400: REFUSED})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def export(self, request, pk=None, **kwargs):
        batch = self.get_object()
        done = export_batch(batch, actor=request.user)
        file = done.file
        audit.log_access(request, "export", obj=batch, what="bank_payment_file_api", sha256=file.sha256)
        response = Response({
            "batch": batch.pk, "number": batch.number, "first": done.first, "file_name": file.zip_name,
            "content_base64": base64.b64encode(file.content).decode("ascii"), "password": file.password,
            "sha256": file.sha256, "count": file.count, "total": YuanField().to_representation(file.total_fen),
        })
        response["Cache-Control"] = "private, no-store"  # the password must stay in no cache
        return response

    @extend_schema(
        summary=_("Upload the bank's result file of an exported batch"),
        description=_(
            "CSV or XLSX with the columns 付款编号, 账号后四位, 金额, 结果 (成功/失败), 失败原因, 银行流水号, "
            "交易日期. The whole file is checked first; any problem refuses it with every problem and its row "
            "number, and nothing changes. Paid payments move to paid, failed ones return their money to the "
            "balance."),
        request={"multipart/form-data": ResultFileSerializer},
        responses={201: BankResultImportSerializer, 400: REFUSED})
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser], filter_backends=[],
            pagination_class=None)
    def reconcile(self, request, pk=None, **kwargs):
        batch = self.get_object()
        if not request.user.has_role_permission("funds.batch_disbursement"):
            raise NotFound()
        uploaded = self.validated(ResultFileSerializer)["file"]
        # One byte over the limit is enough for the service to refuse the size; never read a huge upload.
        imported = reconcile_batch(batch, data=uploaded.read(bankfiles.MAX_RESULT_BYTES + 1), name=uploaded.name,
                                   actor=request.user)
        imported.batch.refresh_from_db(fields=["state"])
        return Response(BankResultImportSerializer(imported).data, status=status.HTTP_201_CREATED)
