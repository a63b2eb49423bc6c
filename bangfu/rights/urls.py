from django.urls import path

from bangfu.rights import views

app_name = "rights"

urlpatterns = [
    path("", views.case_list, name="list"),
    path("household/<int:household_pk>/", views.household_cases, name="household"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/edit/", views.case_edit, name="edit"),
    path("<int:pk>/close/", views.case_close, name="close"),
    path("<int:pk>/reopen/", views.case_reopen, name="reopen"),
]
