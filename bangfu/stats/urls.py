from django.urls import include, path

from bangfu.stats import views

app_name = "stats"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("compare/", views.comparison, name="compare"),
    path("reports/", include("bangfu.stats.urls_reports")),
]
