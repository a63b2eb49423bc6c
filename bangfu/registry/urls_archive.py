"""URLs of the registry's archive pages (included by registry/urls.py under the "registry" namespace)."""

from django.urls import path

from bangfu.registry import views_archive as views

urlpatterns: list = [
    path("new/", views.household_create, name="create"),
    path("<int:pk>/edit/", views.household_edit, name="household_edit"),
    path("<int:pk>/members/new/", views.member_add, name="member_add"),
    path("<int:pk>/members/<int:member_pk>/edit/", views.member_edit, name="member_edit"),
    path("<int:pk>/members/<int:member_pk>/remove/", views.member_remove, name="member_remove"),
    path("<int:pk>/causes/", views.causes_edit, name="causes"),
    path("<int:pk>/incomes/", views.incomes_edit, name="incomes"),
    path("<int:pk>/expenses/", views.expenses_edit, name="expenses"),
    path("<int:pk>/expenses/<int:expense_pk>/remove/", views.expense_remove, name="expense_remove"),
    path("<int:pk>/assets/", views.assets_edit, name="assets"),
    path("<int:pk>/consents/", views.consents_edit, name="consents"),
    path("<int:pk>/attachments/", views.attachments_edit, name="attachments"),
    path("<int:pk>/attachments/<int:attachment_pk>/download/", views.attachment_download,
         name="attachment_download"),
    path("<int:pk>/reveal/", views.reveal, name="reveal"),
]
