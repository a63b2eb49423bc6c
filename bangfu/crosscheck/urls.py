from django.urls import path

from bangfu.crosscheck import views

app_name = "crosscheck"

urlpatterns = [
    path("", views.findings, name="findings"),
    path("findings/<int:pk>/", views.finding_detail, name="finding"),
    path("findings/<int:pk>/confirm/", views.finding_confirm_view, name="finding_confirm"),
    path("findings/<int:pk>/dismiss/", views.finding_dismiss_view, name="finding_dismiss"),
    path("sources/", views.sources, name="sources"),
    path("sources/<slug:code>/template.csv", views.template, name="template"),
    path("snapshots/", views.snapshots, name="snapshots"),
    path("snapshots/new/", views.snapshot_new, name="snapshot_new"),
    path("snapshots/<int:pk>/", views.snapshot_detail, name="snapshot"),
    path("runs/", views.runs, name="runs"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("unauthorised/", views.unauthorised, name="unauthorised"),
    path("rules/", views.rules, name="rules"),
    path("rules/<slug:code>/edit/", views.rule_edit_view, name="rule_edit"),
]
