"""URLs of the registry's printing pages (included by registry/urls.py under the "registry" namespace)."""

from django.urls import path

from bangfu.registry import views_printing

urlpatterns: list = [
    # form: card | application | visit | approval | notice (anything else is a 404)
    path("<int:pk>/print/<slug:form>/", views_printing.print_form, name="print"),
]
