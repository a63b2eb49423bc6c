from django.urls import path

from bangfu.services import views_rounds

app_name = "services"

urlpatterns = [
    path("rounds/", views_rounds.round_list, name="rounds"),
    path("rounds/new/", views_rounds.round_new, name="round_new"),
    path("rounds/<int:pk>/", views_rounds.round_detail, name="round"),
    path("rounds/<int:pk>/solve/", views_rounds.round_solve_view, name="round_solve"),
    path("rounds/<int:pk>/rules/", views_rounds.pair_rule_add, name="rule_add"),
    path("rounds/<int:pk>/rules/<int:rule_pk>/delete/", views_rounds.pair_rule_delete, name="rule_delete"),
]
