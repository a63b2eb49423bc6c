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
    path("api/v1/", include("bangfu.api.urls")),
    path("admin/", admin.site.urls),
]

admin.site.site_header = settings.BANGFU["PLATFORM_NAME"]
admin.site.site_title = settings.BANGFU["PLATFORM_NAME"]
