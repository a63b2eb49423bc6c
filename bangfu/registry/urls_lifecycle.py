"""URLs of the registry's lifecycle pages (included by registry/urls.py under the "registry" namespace)."""

from django.urls import path

from bangfu.registry import views_lifecycle

urlpatterns: list = [
    path("notices/", views_lifecycle.notice_list, name="notices"),
    path("<int:pk>/lifecycle/<slug:action>/", views_lifecycle.lifecycle_action, name="lifecycle_action"),
]
