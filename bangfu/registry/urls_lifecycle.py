"""URLs of the registry's lifecycle pages (included by registry/urls.py under the "registry" namespace)."""

urlpatterns: list = []
