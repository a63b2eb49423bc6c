"""URL of the household's timeline page (included by registry/urls.py under the "registry" namespace)."""

from django.urls import path

from bangfu.registry import views_timeline

urlpatterns: list = [
    path("<int:pk>/timeline/", views_timeline.household_timeline, name="timeline"),
]
