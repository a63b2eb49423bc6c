"""Everything under /api/v1/. Later apps register their viewsets on `router` here."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from bangfu.api.auth_views import NotFoundView, TokenView
from bangfu.api.orgs import DivisionViewSet, LocalStandardViewSet, OrgViewSet
from bangfu.care.api import register as register_care
from bangfu.crosscheck.api import register as register_crosscheck
from bangfu.econcheck.api import register as register_econcheck
from bangfu.funds.api import register as register_funds
from bangfu.helpers.api import register as register_helpers
from bangfu.imports.api import register as register_imports
from bangfu.monitoring.api import register as register_monitoring
from bangfu.notifications.api import register as register_notifications
from bangfu.plans.api import register as register_plans
from bangfu.registry.api.views import AttachmentViewSet, HouseholdViewSet, MemberViewSet
from bangfu.registry.api_eligibility import EligibilityCheckView
from bangfu.registry.api_transitions import HouseholdTransitionsView
from bangfu.rights.api import register as register_rights
from bangfu.services.api import register as register_services
from bangfu.stats.api import register as register_stats
from bangfu.worklist.api import register as register_worklist

app_name = "api"

router = DefaultRouter()
router.register("orgs", OrgViewSet, basename="org")
router.register("divisions", DivisionViewSet, basename="division")
router.register("local-standards", LocalStandardViewSet, basename="localstandard")
router.register("households", HouseholdViewSet, basename="household")
router.register("members", MemberViewSet, basename="member")
router.register("attachments", AttachmentViewSet, basename="attachment")
register_funds(router)  # fund-sources, fund-budgets, ..., payments, payment-batches (bangfu/funds/api/)
register_plans(router)  # plans, measures, recommendations
register_helpers(router)  # helper-assignments, visits
register_rights(router)  # rights-cases
register_care(router)  # care records: counsellors only
register_notifications(router)  # the user's own notifications
register_worklist(router)  # my-work: the counts of the user's work list
register_imports(router)  # import-jobs: bulk import of archives
register_econcheck(router)  # economic-check requests and their results
register_crosscheck(router)  # data sources, data-set pushes, check rules, findings
register_monitoring(router)  # annual reviews, spot checks, exit suggestions, relapse watches
register_services(router)  # services/: menu, providers, offers, requests, rounds, pair rules, matches, outcomes
register_stats(router)  # stats/dashboard, stats/compare

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="auth-token"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema", template_name="api/redoc.html"), name="redoc"),
    path("households/<int:household_pk>/transitions/", HouseholdTransitionsView.as_view(),
         name="household-transitions"),
    path("eligibility-check", EligibilityCheckView.as_view(), name="eligibility-check"),
    *router.urls,
    # Last: anything else under /api/v1/ answers the API's JSON 404.
    re_path(r"^(?P<rest>.*)/$", NotFoundView.as_view(), name="not-found"),
]
