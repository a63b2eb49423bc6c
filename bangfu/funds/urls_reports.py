"""Fund reports (included at /funds/reports/); each page exports to Excel with ?format=xlsx."""

from django.urls import path

from bangfu.funds import views_reports

urlpatterns = [
    path("", views_reports.usage, name="reports"),
    path("households/", views_reports.households, name="report_households"),
    path("account/", views_reports.account, name="report_account"),
]
