"""Models of the service platform (点菜单式服务, DOMAIN.md §7), one module per concern; import from here.

The three lists of the seed: needs (`ServiceRequest`), resources (`Offer`, published by a `Provider`) and
projects (`Project`). `MatchRound` and `Match` are the optimal allocation of offers' units to requests;
`Feedback` is the worker's rating once help was delivered.
"""

from bangfu.services.models.catalogue import ItemKind, Project, ServiceItem  # noqa: F401
from bangfu.services.models.matching import (  # noqa: F401
    HELD_MATCH_STATES,
    LIVE_MATCH_STATES,
    Match,
    MatchRound,
    MatchState,
    PairRule,
    RoundRequest,
    RoundState,
)
from bangfu.services.models.offers import Offer, OfferState  # noqa: F401
from bangfu.services.models.providers import Provider, ProviderAccount, ProviderKind, ProviderState  # noqa: F401
from bangfu.services.models.requests import (  # noqa: F401
    OPEN_REQUEST_STATES,
    Feedback,
    RequestState,
    ServicePolicy,
    ServiceRequest,
    Urgency,
)
