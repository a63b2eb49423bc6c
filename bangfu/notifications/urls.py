from django.urls import path

from bangfu.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("read-all/", views.notices_mark_all_read, name="mark_all_read"),
    path("preferences/", views.preferences, name="preferences"),
    path("<int:pk>/open/", views.notice_open, name="open"),
    path("<int:pk>/read/", views.notice_mark_read, name="mark_read"),
]
