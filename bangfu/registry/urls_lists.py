"""URLs of the registry's lists pages (included by registry/urls.py under the "registry" namespace)."""

urlpatterns: list = []
