from django.conf import settings
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("bangfu.core.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("bangfu.accounts.urls")),
    path("orgs/", include("bangfu.orgs.urls")),
    path("audit/", include("bangfu.audit.urls")),
    path("households/", include("bangfu.registry.urls")),
    path("funds/", include("bangfu.funds.urls")),
    path("plans/", include("bangfu.plans.urls")),
    path("helpers/", include("bangfu.helpers.urls")),
    path("rights/", include("bangfu.rights.urls")),
    path("care/", include("bangfu.care.urls")),
    path("notifications/", include("bangfu.notifications.urls")),
    path("work/", include("bangfu.worklist.urls")),
    path("imports/", include("bangfu.imports.urls")),
    path("economic-checks/", include("bangfu.econcheck.urls")),
    path("crosscheck/", include("bangfu.crosscheck.urls")),
    path("monitoring/", include("bangfu.monitoring.urls")),
    path("services/", include("bangfu.services.urls")),
    path("portal/", include("bangfu.portal.urls")),
    path("stats/", include("bangfu.stats.urls")),
    path("api/v1/", include("bangfu.api.urls")),
    path("admin/", admin.site.urls),
]

admin.site.site_header = settings.BANGFU["PLATFORM_NAME"]
admin.site.site_title = settings.BANGFU["PLATFORM_NAME"]

handler404 = "bangfu.core.views.page_not_found"
