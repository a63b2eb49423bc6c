"""URLs of the registry's classification pages (included by registry/urls.py under the "registry" namespace)."""

urlpatterns: list = []
