"""REST API of bangfu.monitoring (registered on the router in bangfu/api/urls.py)."""


def register(router) -> None:
    """Register this app's viewsets on the API router."""
