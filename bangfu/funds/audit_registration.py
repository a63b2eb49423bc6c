"""Which funds models go to the field-level change log. Ledger rows, budgets and allocations are append-only
records in their own right (and every money action also writes an access-log row)."""

from bangfu import audit
from bangfu.core.masking import mask_bank_account, mask_name
from bangfu.funds.models import (
    Approval,
    ApprovalRule,
    BankResultImport,
    Campaign,
    Disbursement,
    FundPolicy,
    FundSource,
    PaymentBatch,
)

audit.register(
    Disbursement,
    exclude=["updated_at", "payee_account"],
    masked={"payee_name": mask_name, "payee_account_last4": mask_bank_account},
)
audit.register(ApprovalRule)
audit.register(FundPolicy)
audit.register(FundSource)
audit.register(PaymentBatch)
audit.register(Campaign, exclude=["proposal"])
# A payment's approval steps and the bank result files are its audit trail: any change to them is logged too.
audit.register(Approval)
audit.register(BankResultImport)
