"""URLs of the registry's lists pages (included by registry/urls.py under the "registry" namespace)."""

from django.urls import path

from bangfu.registry import exports, views_lists

urlpatterns: list = [
    path("", views_lists.household_list, name="list"),
    path("export.xlsx", exports.household_export, name="export"),
]
