"""URLs of the registry's classification pages (included by registry/urls.py under the "registry" namespace)."""

from django.urls import path

from bangfu.registry import views_classification as views

urlpatterns = [
    path("reclassifications/", views.run_list, name="reclassification-list"),
    path("reclassifications/<int:pk>/", views.run_detail, name="reclassification-detail"),
]
