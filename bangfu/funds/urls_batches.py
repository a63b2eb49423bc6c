"""Bank batches under /funds/batches/ (included by bangfu/funds/urls.py in the "funds" namespace)."""

from django.urls import path

from bangfu.funds import views_batches

urlpatterns: list = [
    path("", views_batches.batch_list, name="batches"),
    path("new/", views_batches.batch_new, name="batch_new"),
    path("<int:pk>/", views_batches.batch_detail, name="batch_detail"),
    path("<int:pk>/remove/", views_batches.batch_remove, name="batch_remove"),
    path("<int:pk>/export/", views_batches.batch_export, name="batch_export"),
    path("<int:pk>/reconcile/", views_batches.batch_reconcile, name="batch_reconcile"),
    path("<int:pk>/roster/", views_batches.batch_roster, name="batch_roster"),
]
