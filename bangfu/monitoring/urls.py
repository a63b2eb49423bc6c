from django.urls import path

from bangfu.monitoring import views, views_cases

app_name = "monitoring"

urlpatterns = [
    path("", views.review_list, name="reviews"),
    path("reviews/<int:pk>/", views.review_detail, name="review"),
    path("reviews/<int:pk>/do/", views.review_do_view, name="review_do"),
    path("reviews/<int:pk>/spot-check/", views.review_spot_view, name="review_spot"),
    path("cycles/", views.cycle_list, name="cycles"),
    path("cycles/<int:pk>/", views.cycle_detail, name="cycle"),
    path("cycles/<int:pk>/draw/", views.cycle_draw_view, name="cycle_draw"),
    path("spot-checks/", views.spotcheck_queue, name="spotchecks"),
    path("exit-suggestions/", views_cases.suggestion_list, name="suggestions"),
    path("exit-suggestions/<int:pk>/", views_cases.suggestion_detail, name="suggestion"),
    path("exit-suggestions/<int:pk>/accept/", views_cases.suggestion_accept_view, name="suggestion_accept"),
    path("exit-suggestions/<int:pk>/dismiss/", views_cases.suggestion_dismiss_view, name="suggestion_dismiss"),
    path("relapse/", views_cases.watch_list, name="watches"),
    path("relapse/<int:pk>/", views_cases.watch_detail, name="watch"),
    path("relapse/<int:pk>/resolve/", views_cases.watch_resolve_view, name="watch_resolve"),
    path("not-updated/", views_cases.not_updated_list, name="not_updated"),
    path("never-helped/", views_cases.never_helped_list, name="never_helped"),
]
