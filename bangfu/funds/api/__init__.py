"""The funds API under /api/v1/ (registered on the API router by `register`)."""


def register(router) -> None:
    """Add the funds endpoints to the API's router (called from bangfu/api/urls.py)."""
    from bangfu.funds.api.payments import PaymentBatchViewSet, PaymentViewSet
    from bangfu.funds.api.reports import FundReportViewSet
    from bangfu.funds.api.views import (
        AllocationViewSet,
        BalanceViewSet,
        BudgetViewSet,
        FundSourceViewSet,
        LedgerTransactionViewSet,
    )

    router.register("fund-sources", FundSourceViewSet, basename="fundsource")
    router.register("fund-budgets", BudgetViewSet, basename="fundbudget")
    router.register("fund-allocations", AllocationViewSet, basename="fundallocation")
    router.register("fund-balances", BalanceViewSet, basename="fundbalance")
    router.register("fund-transactions", LedgerTransactionViewSet, basename="fundtransaction")
    router.register("payments", PaymentViewSet, basename="payment")
    router.register("payment-batches", PaymentBatchViewSet, basename="paymentbatch")
    router.register("fund-reports", FundReportViewSet, basename="fundreport")
