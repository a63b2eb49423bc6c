"""Models of the hardship registry, one module per concern; import from here."""

from bangfu.registry.models.classification import (  # noqa: F401, E402
    Classification,
    ClassificationPolicy,
    NeedScoreWeights,
    ReclassificationRow,
    ReclassificationRun,
)
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
from bangfu.registry.models.lifecycle import (  # noqa: F401, E402
    Appeal,
    AppealDecision,
    Closure,
    ClosureKind,
    ExitReason,
    HomeVisit,
    LevelOpinion,
    NoticeObjection,
    NoticePlace,
    ObjectionOutcome,
    OpinionDecision,
    OpinionStage,
    PublicNotice,
    Transfer,
)
from bangfu.registry.models.timeline import TimelineEvent, record_event  # noqa: F401
