"""The service platform's records go to the field-level change log (their history); matches and per-round
outcomes are written in bulk by a round, which records one bulk job instead."""

from bangfu import audit
from bangfu.core.masking import mask_phone
from bangfu.services.models import (
    Feedback,
    Offer,
    PairRule,
    Project,
    Provider,
    ServiceItem,
    ServicePolicy,
    ServiceRequest,
)

audit.register(Provider, exclude=["created_at"], masked={"contact_phone": mask_phone})
audit.register(Offer, exclude=["created_at", "category_key", "cause_key", "work_status_key"])
audit.register(ServiceItem)
audit.register(Project, exclude=["created_at"])
audit.register(ServiceRequest)
audit.register(ServicePolicy)
audit.register(PairRule, exclude=["created_at"])
audit.register(Feedback, exclude=["given_at"])
