"""Assistance funds (DOMAIN.md §5): sources, budgets, allocations, payments, approvals, the ledger."""

from bangfu.funds.models.batches import BankResultImport, PaymentBatch
from bangfu.funds.models.budgets import Allocation, Budget
from bangfu.funds.models.campaigns import Campaign
from bangfu.funds.models.disbursements import (
    COMMITTED_STATES,
    RESERVED_STATES,
    Approval,
    ApprovalDecision,
    Disbursement,
    DisbursementState,
)
from bangfu.funds.models.ledger import Balance, Bucket, LedgerEntry, LedgerTransaction, MonthlyTotal, TransactionKind
from bangfu.funds.models.policy import DEFAULT_CHAIN, ApprovalRule, FundPolicy, approval_chain, route_for
from bangfu.funds.models.sources import AidCategory, FundSource

__all__ = [
    "COMMITTED_STATES", "DEFAULT_CHAIN", "RESERVED_STATES", "AidCategory", "Allocation", "Approval",
    "ApprovalDecision", "ApprovalRule", "Balance", "BankResultImport", "Bucket", "Budget", "Campaign",
    "Disbursement", "DisbursementState", "FundPolicy", "FundSource", "LedgerEntry", "LedgerTransaction",
    "MonthlyTotal", "PaymentBatch", "TransactionKind", "approval_chain", "route_for",
]
