"""The Django admin site, open only to holders of the system-administrator role.

Installed as the default site (`BangfuAdminConfig.default_site`), so every app's `admin.register`
lands here. Signing in always goes through the platform's own login page (lockout, forced password
change and two-factor apply); a signed-in user without the role gets a 404, as for any page they may
not use.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.urls import reverse

from bangfu.accounts.roles import Role


class BangfuAdminSite(admin.AdminSite):
    def has_permission(self, request):
        user = request.user
        return bool(user.is_active and user.is_authenticated and user.has_role(Role.SYSTEM_ADMIN))

    def login(self, request, extra_context=None):
        if request.user.is_authenticated:
            raise Http404
        next_url = request.GET.get("next") or reverse("admin:index", current_app=self.name)
        return redirect_to_login(next_url, login_url=reverse("accounts:login"))
