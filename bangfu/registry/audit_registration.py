"""Which registry models go to the field-level change log, and how their sensitive fields are masked."""

from bangfu import audit
from bangfu.audit.registry import FULL_MASK
from bangfu.core.masking import mask_bank_account, mask_name, mask_phone
from bangfu.registry.models import AssetDeclaration, Consent, Expense, Household, HouseholdCause, Member


def _hidden(value) -> str:
    return FULL_MASK if value else ""


audit.register(
    Household,
    exclude=["updated_at", "need_score_breakdown", "head_name_initials"],
    masked={"address": _hidden, "bank_account": mask_bank_account, "bank_account_holder": mask_name},
)
audit.register(
    Member,
    exclude=["updated_at", "identity_hash", "open_identity_hash", "name_initials", "identity_number", "phone"],
    masked={"diagnosis": _hidden, "phone_masked": mask_phone, "name": mask_name},
)
audit.register(HouseholdCause)
audit.register(Expense)
audit.register(AssetDeclaration)
audit.register(Consent, masked={"signed_by_name": mask_name})
