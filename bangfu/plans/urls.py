"""Pages of the household plans (mounted at /plans/)."""

from django.urls import path

from bangfu.plans import views, views_rules

app_name = "plans"

urlpatterns = [
    path("household/<int:pk>/", views.household_plan, name="household"),
    path("household/<int:pk>/edit/", views.plan_edit, name="plan_edit"),
    path("household/<int:pk>/propose/", views.propose, name="propose"),
    path("household/<int:pk>/measures/new/", views.measure_add, name="measure_add"),
    path("measures/<int:pk>/", views.measure_detail, name="measure_detail"),
    path("recommendations/<int:pk>/", views.recommendation_detail, name="recommendation"),
    path("rules/", views_rules.rule_list, name="rules"),
    path("rules/new/", views_rules.rule_new, name="rule_new"),
    path("rules/<slug:code>/", views_rules.rule_detail, name="rule_detail"),
    path("rules/<slug:code>/edit/", views_rules.rule_edit, name="rule_edit"),
]
