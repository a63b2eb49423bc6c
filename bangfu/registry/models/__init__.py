"""Models of the hardship registry, one module per concern; import from here."""

from bangfu.registry.models.codes import CodeItem, CodeList  # noqa: F401
from bangfu.registry.models.evidence import Attachment, Consent, ConsentKind  # noqa: F401
from bangfu.registry.models.finance import AssetDeclaration, Expense, ExpenseGroup, MonthlyIncome  # noqa: F401
from bangfu.registry.models.household import (  # noqa: F401
    CLOSED_STATES,
    OPEN_STATES,
    ArchiveLevel,
    Category,
    CommonLevel,
    Household,
    HouseholdCause,
    Member,
    Scheme,
    Sex,
    State,
)
from bangfu.registry.models.timeline import TimelineEvent, record_event  # noqa: F401
