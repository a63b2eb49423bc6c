"""App config for django.contrib.admin with Bangfu's admin site (see `bangfu.accounts.admin_site`).

Kept apart from `apps.py` so that Django's app-config discovery for `bangfu.accounts` stays unambiguous.
"""

from django.contrib.admin.apps import AdminConfig


class BangfuAdminConfig(AdminConfig):
    """The Django admin with Bangfu's site: open to system administrators only."""

    default_site = "bangfu.accounts.admin_site.BangfuAdminSite"
