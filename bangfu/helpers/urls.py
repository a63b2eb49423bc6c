"""Pages of bangfu.helpers, mounted at /helpers/."""

from django.urls import path

from bangfu.helpers import views, views_lists

app_name = "helpers"

urlpatterns = [
    path("workload/", views_lists.workload, name="workload"),
    path("mine/", views_lists.mine, name="mine"),
    path("helper/<int:pk>/", views_lists.helper_page, name="helper"),
    path("without-helper/", views_lists.without_helper, name="without"),
    path("visits/overdue/", views_lists.overdue, name="overdue"),
    path("frequencies/", views_lists.frequencies, name="frequencies"),
    path("frequencies/<int:pk>/remove/", views_lists.frequency_remove, name="frequency_remove"),
    path("households/<int:pk>/assign/", views.assign, name="assign"),
    path("households/<int:pk>/hand-over/", views.hand_over_view, name="hand_over"),
    path("households/<int:pk>/end/", views.end, name="end"),
    path("households/<int:pk>/visits/", views.visits, name="visits"),
    path("households/<int:pk>/visits/new/", views.visit_new, name="visit_new"),
    path("visits/<int:pk>/photo/", views.visit_photo, name="visit_photo"),
]
