from django.urls import path

from bangfu.imports import views

app_name = "imports"

urlpatterns: list = [
    path("", views.upload, name="upload"),
    path("jobs/", views.job_list, name="list"),
    path("jobs/<int:pk>/", views.job_detail, name="job"),
    path("jobs/<int:pk>/status/", views.job_status, name="status"),
    path("jobs/<int:pk>/cancel/", views.job_cancel, name="cancel"),
    path("jobs/<int:pk>/rerun/", views.job_rerun, name="rerun"),
    path("jobs/<int:pk>/report/", views.job_report, name="report"),
    path("template.<str:fmt>", views.template_download, name="template"),
]
