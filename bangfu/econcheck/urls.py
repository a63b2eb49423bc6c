from django.urls import path

from bangfu.econcheck import views

app_name = "econcheck"

urlpatterns = [
    path("", views.request_list, name="list"),
    path("new/", views.request_new, name="new"),
    path("results-template/", views.result_template, name="template"),
    path("household/<int:household_pk>/", views.household_results_page, name="household"),
    path("<int:pk>/", views.request_detail, name="detail"),
    path("<int:pk>/file/", views.request_file, name="file"),
    path("<int:pk>/send/", views.request_send, name="send"),
    path("<int:pk>/cancel/", views.request_cancel, name="cancel"),
    path("<int:pk>/results/", views.request_import, name="import"),
]
