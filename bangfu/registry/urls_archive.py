"""URLs of the registry's archive pages (included by registry/urls.py under the "registry" namespace)."""

urlpatterns: list = []
