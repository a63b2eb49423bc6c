"""The funds overview, budgets and allocations, and the ledger (included at /funds/)."""

from django.urls import path

from bangfu.funds import views_budgets, views_ledger

urlpatterns = [
    path("", views_budgets.home, name="home"),
    path("budgets/", views_budgets.budgets, name="budgets"),
    path("budgets/new/", views_budgets.budget_new, name="budget_new"),
    path("allocations/new/", views_budgets.allocation_new, name="allocation_new"),
    path("ledger/", views_ledger.ledger, name="ledger"),
    path("ledger/<int:pk>/", views_ledger.transaction_detail, name="transaction_detail"),
    path("ledger/<int:pk>/reverse/", views_ledger.transaction_reverse, name="transaction_reverse"),
]
