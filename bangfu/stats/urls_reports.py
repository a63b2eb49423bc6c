"""The standard statistical reports (included at /stats/reports/): the form and each report's .xlsx."""

from django.urls import path

from bangfu.stats import views_reports

urlpatterns = [
    path("", views_reports.report_page, name="reports"),
    path("<slug:kind>.xlsx", views_reports.report_download, name="report_download"),
]
