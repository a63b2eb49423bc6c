from django.urls import path

from bangfu.services import views_offers, views_providers, views_requests, views_rounds

app_name = "services"

urlpatterns = [
    path("offers/", views_offers.offer_list, name="offers"),
    path("offers/new/", views_offers.offer_new, name="offer_new"),
    path("offers/<int:pk>/", views_offers.offer_detail, name="offer"),
    path("offers/<int:pk>/<str:act>/", views_offers.offer_act, name="offer_act"),
    path("providers/", views_providers.provider_list, name="providers"),
    path("providers/new/", views_providers.provider_new, name="provider_new"),
    path("providers/<int:pk>/", views_providers.provider_detail, name="provider"),
    path("providers/<int:pk>/<str:state>/", views_providers.provider_decide, name="provider_decide"),
    path("requests/", views_requests.request_list, name="requests"),
    path("requests/stats/", views_requests.request_stats, name="stats"),
    path("requests/<int:pk>/receipt/", views_offers.receipt, name="receipt"),
    path("requests/<int:pk>/", views_requests.request_detail, name="request"),
    path("requests/<int:pk>/<str:act>/", views_requests.request_act, name="request_act"),
    path("matches/", views_offers.match_list, name="matches"),
    path("matches/<int:pk>/<str:act>/", views_offers.match_act, name="match_act"),
    path("rounds/", views_rounds.round_list, name="rounds"),
    path("rounds/new/", views_rounds.round_new, name="round_new"),
    path("rounds/<int:pk>/", views_rounds.round_detail, name="round"),
    path("rounds/<int:pk>/solve/", views_rounds.round_solve_view, name="round_solve"),
    path("rounds/<int:pk>/rules/", views_rounds.pair_rule_add, name="rule_add"),
    path("rounds/<int:pk>/rules/<int:rule_pk>/delete/", views_rounds.pair_rule_delete, name="rule_delete"),
]
