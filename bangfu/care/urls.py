"""Pages of the care app under /care/ (counsellors only; everyone else gets 404)."""

from django.urls import path

from bangfu.care import views_activities, views_crisis, views_records

app_name = "care"

urlpatterns: list = [
    # crisis cases of the counsellor's subtree
    path("crises/", views_crisis.crisis_list, name="crises"),
    path("crises/<int:pk>/", views_crisis.crisis_detail, name="crisis_detail"),
    path("crises/<int:pk>/acknowledge/", views_crisis.crisis_acknowledge, name="crisis_acknowledge"),
    path("crises/<int:pk>/close/", views_crisis.crisis_close, name="crisis_close"),
    # one household's care: history, care plan, screenings, sessions (pk: the household)
    path("households/<int:pk>/", views_records.household_care, name="household"),
    path("households/<int:pk>/plan/", views_records.plan_edit, name="plan_edit"),
    path("households/<int:pk>/plan/close/", views_records.plan_close, name="plan_close"),
    path("households/<int:pk>/screenings/new/", views_records.screening_new, name="screening_new"),
    path("households/<int:pk>/sessions/new/", views_records.session_new, name="session_new"),
    path("screenings/<int:pk>/", views_records.screening_detail, name="screening_detail"),
    path("sessions/", views_records.session_list, name="sessions"),
    # group activities
    path("activities/", views_activities.activity_list, name="activities"),
    path("activities/new/", views_activities.activity_new, name="activity_new"),
    path("activities/<int:pk>/", views_activities.activity_detail, name="activity_detail"),
    path("activities/<int:pk>/edit/", views_activities.activity_edit, name="activity_edit"),
]
