"""Pages of the hardship registry. Each concern owns one URL module; all share the "registry" namespace."""

from django.urls import include, path

from bangfu.registry import views_detail

app_name = "registry"
urlpatterns = [
    path("<int:pk>/", views_detail.household_detail, name="detail"),
    path("", include("bangfu.registry.urls_lists")),
    path("", include("bangfu.registry.urls_archive")),
    path("", include("bangfu.registry.urls_classification")),
    path("", include("bangfu.registry.urls_lifecycle")),
    path("", include("bangfu.registry.urls_printing")),
    path("", include("bangfu.registry.urls_timeline")),
]
