"""URLs of the payment pages (included by funds/urls.py under /funds/payments/, namespace "funds")."""

from django.urls import path

from bangfu.funds import views_approvals, views_payments, views_rules

urlpatterns: list = [
    path("", views_payments.payment_list, name="payments"),
    path("new/", views_payments.payment_new, name="payment_new"),
    path("waiting/", views_approvals.approvals_inbox, name="approvals_inbox"),
    path("notices/", views_approvals.payment_notices, name="payment_notices"),
    path("rules/", views_rules.rules, name="rules"),
    path("<int:pk>/", views_payments.payment_detail, name="payment_detail"),
    path("<int:pk>/approve/", views_payments.payment_approve, name="payment_approve"),
    path("<int:pk>/submit/", views_payments.payment_submit, name="payment_submit"),
    path("<int:pk>/cancel/", views_payments.payment_cancel, name="payment_cancel"),
]
