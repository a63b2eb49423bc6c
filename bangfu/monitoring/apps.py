from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    name = "bangfu.monitoring"
    label = "monitoring"
    verbose_name = _("Dynamic management")

    def ready(self):
        from bangfu.monitoring import audit_registration  # noqa: F401
        from bangfu.monitoring.panel import register
        from bangfu.monitoring.services import relapse, reviews
        from bangfu.monitoring.tasks import register_schedule
        from bangfu.registry.models import Household
        from bangfu.registry.signals import household_reviewed, household_state_changed, relapse_evidence

        register()  # the archive-page panel and the timeline kinds
        register_schedule()
        household_state_changed.connect(relapse.on_state_changed, sender=Household,
                                        dispatch_uid="monitoring_watch_on_exit")
        relapse_evidence.connect(relapse.on_relapse_evidence, dispatch_uid="monitoring_relapse_evidence")
        from bangfu.monitoring.services import exits

        household_state_changed.connect(exits.on_state_changed, sender=Household,
                                        dispatch_uid="monitoring_suggestion_closed_on_state_change")
        household_reviewed.connect(reviews.on_household_reviewed, sender=Household,
                                   dispatch_uid="monitoring_review_on_registry_review")
