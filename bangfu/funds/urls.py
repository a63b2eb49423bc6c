"""Pages of the funds app under /funds/. Each concern has its own urls_*.py (filled by its module)."""

from django.urls import include, path

app_name = "funds"

urlpatterns = [
    path("", include("bangfu.funds.urls_budgets")),
    path("payments/", include("bangfu.funds.urls_payments")),
    path("batches/", include("bangfu.funds.urls_batches")),
    path("campaigns/", include("bangfu.funds.urls_campaigns")),
    path("reports/", include("bangfu.funds.urls_reports")),
]
