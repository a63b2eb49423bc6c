"""REST API of bangfu.crosscheck (registered on the router in bangfu/api/urls.py)."""


def register(router) -> None:
    """Register this app's viewsets on the API router."""
