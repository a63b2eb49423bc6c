"""Serializers of the funds API: what is read, and what may be sent to the write functions.

Reads: money as yuan strings (`YuanField`), sources by their code, unions by id with their name, the payee
always masked (surname + asterisks, last four digits of the card; never the full account).
Writes never call `serializer.save()`: the viewsets hand the validated data to `bangfu.funds.services`,
the same functions the pages call, so a rule refuses the same way everywhere. The create serializers look
up what the body names (union, household, student, receipt) among what the signed-in user may see only;
anything else is the same field error as an id that does not exist.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from bangfu.accounts.roles import Role
from bangfu.funds.api.base import MAX_ID, YuanField
from bangfu.funds.models import (
    AidCategory,
    Allocation,
    Approval,
    ApprovalDecision,
    Balance,
    BankResultImport,
    Budget,
    Disbursement,
    FundSource,
    LedgerEntry,
    LedgerTransaction,
    PaymentBatch,
)
from bangfu.orgs.models import Org
from bangfu.registry.models import Attachment, Household, Member

BLANK_OK = {"allow_blank": True, "required": False}


def _id(**kwargs):
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


def _year(**kwargs):
    return serializers.IntegerField(min_value=2000, max_value=2100, **kwargs)


# --- read -----------------------------------------------------------------------------------------------


class FundSourceSerializer(serializers.ModelSerializer):
    allowed_categories = serializers.ListField(
        child=serializers.CharField(), read_only=True,
        help_text=_("Codes of the aid categories this source may pay (see the category field of payments)."))

    class Meta:
        model = FundSource
        fields = ["id", "code", "name", "kind", "allowed_categories", "is_active"]
        read_only_fields = fields


class BudgetSerializer(serializers.ModelSerializer):
    org_name = serializers.CharField(source="org.name", read_only=True)
    source = serializers.CharField(source="source.code", read_only=True, help_text=_("Code of the fund source."))
    amount = YuanField(source="amount_fen", read_only=True)

    class Meta:
        model = Budget
        fields = ["id", "org", "org_name", "source", "year", "category", "amount", "document_ref", "received_on",
                  "note", "transaction", "created_by", "created_at"]
        read_only_fields = fields


class AllocationSerializer(serializers.ModelSerializer):
    from_org_name = serializers.CharField(source="from_org.name", read_only=True)
    to_org_name = serializers.CharField(source="to_org.name", read_only=True)
    source = serializers.CharField(source="source.code", read_only=True, help_text=_("Code of the fund source."))
    amount = YuanField(source="amount_fen", read_only=True)

    class Meta:
        model = Allocation
        fields = ["id", "from_org", "from_org_name", "to_org", "to_org_name", "source", "year", "category",
                  "amount", "document_ref", "note", "transaction", "created_by", "created_at"]
        read_only_fields = fields


class BalanceSerializer(serializers.ModelSerializer):
    org_name = serializers.CharField(source="org.name", read_only=True)
    source = serializers.CharField(source="source.code", read_only=True, help_text=_("Code of the fund source."))
    amount = serializers.SerializerMethodField(help_text=_(
        "Yuan. The source bucket counts the money received, negative; the other buckets are never negative."))

    class Meta:
        model = Balance
        fields = ["id", "org", "org_name", "source", "year", "category", "bucket", "amount"]
        read_only_fields = fields

    @extend_schema_field({"type": "string", "pattern": r"^-?\d+\.\d{2}$", "example": "-100000.00"})
    def get_amount(self, balance) -> str:
        return YuanField().to_representation(balance.amount_fen)


class LedgerEntrySerializer(serializers.ModelSerializer):
    source = serializers.CharField(source="source.code", read_only=True)
    amount = serializers.SerializerMethodField(help_text=_("Yuan; positive adds to the account, negative takes."))

    class Meta:
        model = LedgerEntry
        fields = ["id", "org", "source", "year", "category", "bucket", "amount", "household", "posted_on"]
        read_only_fields = fields

    @extend_schema_field({"type": "string", "pattern": r"^-?\d+\.\d{2}$", "example": "-300.00"})
    def get_amount(self, entry) -> str:
        return YuanField().to_representation(entry.amount_fen)


class LedgerTransactionSerializer(serializers.ModelSerializer):
    org_name = serializers.CharField(source="org.name", read_only=True)
    reversed_by = serializers.SerializerMethodField(help_text=_("The correction that reverses it, if any."))
    entries = LedgerEntrySerializer(many=True, read_only=True)

    class Meta:
        model = LedgerTransaction
        fields = ["id", "kind", "org", "org_name", "year", "memo", "reason", "reverses", "reversed_by",
                  "disbursement", "created_by", "created_at", "entries"]
        read_only_fields = fields

    def get_reversed_by(self, txn) -> int | None:
        # `reversal_id` is annotated by the viewset (one query for the whole page).
        return getattr(txn, "reversal_id", None)


class RouteStepSerializer(serializers.Serializer):
    order = serializers.IntegerField()
    role = serializers.ChoiceField(choices=Role.choices, help_text=_("The role that decides this step."))
    min_amount = serializers.SerializerMethodField(help_text=_("The step applies from this amount (yuan)."))
    requires_minutes = serializers.BooleanField(help_text=_("A leadership decision with its meeting minutes."))
    label = serializers.CharField(allow_blank=True)

    @extend_schema_field({"type": "string", "pattern": r"^-?\d+\.\d{2}$", "example": "5000.00"})
    def get_min_amount(self, step) -> str:
        return YuanField().to_representation(step.get("min_amount_fen") or 0)


class PaymentSerializer(serializers.ModelSerializer):
    org_name = serializers.CharField(source="org.name", read_only=True)
    household_archive_number = serializers.CharField(source="household.archive_number", read_only=True)
    source = serializers.CharField(source="source.code", read_only=True, help_text=_("Code of the fund source."))
    amount = YuanField(source="amount_fen", read_only=True)
    out_of_pocket = YuanField(source="out_of_pocket_fen", read_only=True, allow_null=True,
                              help_text=_("Medical aid: the out-of-pocket cost on the receipt."))
    student_name_masked = serializers.SerializerMethodField()
    payee_name_masked = serializers.CharField(read_only=True, help_text=_("Surname + asterisks."))
    payee_account_masked = serializers.CharField(read_only=True, help_text=_("Last four digits only."))
    route = RouteStepSerializer(many=True, read_only=True, help_text=_("The approval steps, fixed at submission."))
    next_step = serializers.SerializerMethodField(help_text=_("The step waiting for a decision, if any."))

    class Meta:
        model = Disbursement
        fields = ["id", "org", "org_name", "household", "household_archive_number", "source", "year", "category",
                  "amount", "item", "period", "state", "student", "student_name_masked", "out_of_pocket",
                  "receipt", "payee_name_masked", "payee_bank", "payee_account_masked", "route", "current_step",
                  "next_step", "notice_until", "batch", "campaign", "bank_reference", "failure_reason", "note",
                  "created_by", "created_at", "submitted_at", "approved_at", "paid_on", "updated_at"]
        read_only_fields = fields

    def get_student_name_masked(self, payment) -> str | None:
        return payment.student.name_masked if payment.student_id else None

    @extend_schema_field(RouteStepSerializer(allow_null=True))
    def get_next_step(self, payment):
        step = payment.next_step
        return RouteStepSerializer(step).data if step else None


class ApprovalSerializer(serializers.ModelSerializer):
    role = serializers.ChoiceField(choices=Role.choices, read_only=True)
    decided_by_name = serializers.CharField(source="decided_by", read_only=True,
                                            help_text=_("The name of the person who decided."))

    class Meta:
        model = Approval
        fields = ["id", "step", "role", "decision", "comment", "meeting_date", "minutes_ref", "minutes",
                  "decided_by", "decided_by_name", "decided_at"]
        read_only_fields = fields


class PaymentBatchSerializer(serializers.ModelSerializer):
    org_name = serializers.CharField(source="org.name", read_only=True)
    payment_count = serializers.IntegerField(read_only=True, help_text=_("Payments in the batch."))
    total = YuanField(source="total_fen", read_only=True, help_text=_("Sum of its payments (yuan)."))

    class Meta:
        model = PaymentBatch
        fields = ["id", "number", "org", "org_name", "state", "note", "payment_count", "total", "created_by",
                  "created_at", "exported_at", "exported_by", "export_count", "reconciled_at"]
        read_only_fields = fields


class BankFileSerializer(serializers.Serializer):
    batch = serializers.IntegerField()
    number = serializers.CharField(help_text=_("Batch number."))
    first = serializers.BooleanField(help_text=_("This export sent the batch to the bank."))
    file_name = serializers.CharField()
    content_base64 = serializers.CharField(help_text=_("The encrypted ZIP, base64."))
    password = serializers.CharField(help_text=_("The ZIP's one-time password: shown once, never stored."))
    sha256 = serializers.CharField(help_text=_("SHA-256 of the ZIP."))
    count = serializers.IntegerField(help_text=_("Payments in the file."))
    total = serializers.CharField(help_text=_("Their sum (yuan)."))


class BankResultImportSerializer(serializers.ModelSerializer):
    batch_state = serializers.CharField(source="batch.state", read_only=True,
                                        help_text=_("reconciled once every payment has its result."))
    paid = YuanField(source="paid_fen", read_only=True, allow_null=True)
    failed = YuanField(source="failed_fen", read_only=True, allow_null=True)

    class Meta:
        model = BankResultImport
        fields = ["id", "batch", "batch_state", "original_name", "sha256", "paid_count", "paid", "failed_count",
                  "failed", "uploaded_by", "uploaded_at"]
        read_only_fields = fields


class ResultFileSerializer(serializers.Serializer):
    # Empty files reach the service, which refuses them with the other file problems (and logs the refusal).
    file = serializers.FileField(allow_empty_file=True, help_text=_("The bank's result file, CSV or XLSX."))


# --- write ----------------------------------------------------------------------------------------------


def _user(serializer):
    return serializer.context["request"].user


def _org_in_scope(serializer, pk) -> Org:
    org = Org.objects.restrict(_user(serializer), "view").filter(pk=pk, is_active=True).first()
    if org is None:
        raise serializers.ValidationError(_("Choose a union of your own subtree."), code="org")
    return org


def _source(code) -> FundSource:
    source = FundSource.objects.filter(code=code).first()
    if source is None:
        raise serializers.ValidationError(_("Unknown fund source code."), code="source")
    return source


class BudgetCreateSerializer(serializers.Serializer):
    org = _id(help_text=_("Id of the union that received the money (your own or one of your subtree)."))
    source = serializers.CharField(max_length=24, help_text=_("Code of the fund source, e.g. central."))
    year = _year(help_text=_("Budget year."))
    category = serializers.ChoiceField(choices=AidCategory.choices)
    amount = YuanField(help_text=_("Yuan with at most two decimals, more than zero."))
    document_ref = serializers.CharField(max_length=64, **BLANK_OK,
                                         help_text=_("E.g. the number of the allocation notice (文号)."))
    received_on = serializers.DateField(required=False, help_text=_("Default: today."))
    note = serializers.CharField(max_length=200, **BLANK_OK)

    def validate_org(self, value):
        return _org_in_scope(self, value)

    def validate_source(self, value):
        return _source(value)


class AllocationCreateSerializer(serializers.Serializer):
    from_org = _id(help_text=_("Id of the giving union (your own or one of your subtree)."))
    to_org = _id(help_text=_("Id of a direct child union of the giving union."))
    source = serializers.CharField(max_length=24, help_text=_("Code of the fund source, e.g. central."))
    year = _year(help_text=_("Budget year."))
    category = serializers.ChoiceField(choices=AidCategory.choices)
    amount = YuanField(help_text=_("Yuan with at most two decimals, more than zero."))
    document_ref = serializers.CharField(max_length=64, **BLANK_OK)
    note = serializers.CharField(max_length=200, **BLANK_OK)

    def validate_from_org(self, value):
        return _org_in_scope(self, value)

    def validate_to_org(self, value):
        # A child of the giving union is in the user's subtree too; the service checks it is a direct child.
        return _org_in_scope(self, value)

    def validate_source(self, value):
        return _source(value)


class PaymentCreateSerializer(serializers.Serializer):
    org = _id(help_text=_(
        "Id of the paying union: your own, one above it or one of your subtree; the household must belong to "
        "its subtree."))
    household = _id(help_text=_("Id of an archived household you may see."))
    source = serializers.CharField(max_length=24, help_text=_("Code of the fund source, e.g. central."))
    category = serializers.ChoiceField(choices=AidCategory.choices)
    amount = YuanField(help_text=_("Yuan with at most two decimals, more than zero, e.g. 1234.50."))
    item = serializers.CharField(max_length=100, help_text=_("What is paid, e.g. 'hospital stay March 2026'."))
    period = serializers.CharField(max_length=16, help_text=_("The period covered, e.g. 2026, 2026-03."))
    year = _year(required=False, help_text=_("Budget year (default: this year)."))
    student = _id(required=False, allow_null=True, help_text=_("School aid: id of the student (a member)."))
    out_of_pocket = YuanField(required=False, allow_null=True,
                              help_text=_("Medical aid: the out-of-pocket cost on the receipt (yuan)."))
    receipt = _id(required=False, allow_null=True,
                  help_text=_("Medical aid: id of the receipt, an evidence file of this household."))
    note = serializers.CharField(max_length=200, **BLANK_OK)
    submit = serializers.BooleanField(default=True, help_text=_("Submit for approval at once (else a draft)."))

    def validate_org(self, value):
        user = _user(self)
        org = Org.objects.filter(pk=value, is_active=True).first()
        mine = user.scope_path or "\0"
        if org is None or not (org.path.startswith(mine) or mine.startswith(org.path)):
            raise serializers.ValidationError(
                _("Choose your own union, one above it or one of your subtree."), code="org")
        return org

    def validate_household(self, value):
        household = (Household.objects.restrict(_user(self), "view").select_related("org")
                     .filter(pk=value).first())
        if household is None:
            raise serializers.ValidationError(_("No such household among those you may see."), code="household")
        return household

    def validate_source(self, value):
        return _source(value)

    def validate(self, attrs):
        household = attrs["household"]
        student = attrs.get("student")
        if student is not None:
            attrs["student"] = Member.objects.filter(pk=student, household=household).first()
            if attrs["student"] is None:
                raise serializers.ValidationError({"student": [_("Choose a member of this household.")]})
        receipt = attrs.get("receipt")
        if receipt is not None:
            attrs["receipt"] = (Attachment.objects.restrict(_user(self), "view")
                                .filter(pk=receipt, household=household).first())
            if attrs["receipt"] is None:
                raise serializers.ValidationError({"receipt": [_("Choose an evidence file of this household.")]})
        return attrs


class ApproveSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=ApprovalDecision.choices, default=ApprovalDecision.APPROVE)
    comment = serializers.CharField(max_length=2000, **BLANK_OK,
                                    help_text=_("Required when rejecting: the reason."))
    meeting_date = serializers.DateField(required=False, allow_null=True,
                                         help_text=_("Leadership step: the date of the meeting that decided."))
    minutes_ref = serializers.CharField(max_length=64, **BLANK_OK,
                                        help_text=_("Leadership step: the number of the meeting minutes."))
    minutes = serializers.CharField(max_length=5000, **BLANK_OK, help_text=_("An extract of the minutes."))


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, help_text=_("Why (kept with the record)."))


class ReverseSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text=_("Why the transaction is corrected."))
