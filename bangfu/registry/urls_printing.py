"""URLs of the registry's printing pages (included by registry/urls.py under the "registry" namespace)."""

urlpatterns: list = []
