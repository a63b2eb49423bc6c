from django.urls import path

from bangfu.audit import views

app_name = "audit"
urlpatterns = [
    path("changes/", views.change_list, name="changes"),
    path("changes/<int:pk>/", views.change_detail, name="change_detail"),
    path("access/", views.access_list, name="access"),
    path("access/<int:pk>/", views.access_detail, name="access_detail"),
]
