"""What the service platform's pages share: who may open them (staff and provider accounts), and the
provider an account acts for."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404


def services_page(permission: str):
    """Signed-in union staff or provider accounts holding `permission`; anyone else gets a 404. Workers use the
    portal's own pages."""

    def decorate(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            user = request.user
            if user.kind not in ("staff", "provider") or not user.has_role_permission(permission):
                raise Http404
            if user.kind == "staff" and not user.org_id:
                raise Http404
            if user.kind == "provider" and own_provider(user) is None:
                raise Http404
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def own_provider(user):
    """The provider a provider account acts for (None for anyone else)."""
    if user.kind != "provider":
        return None
    from bangfu.services.models import ProviderAccount

    account = ProviderAccount.objects.select_related("provider__org").filter(user=user).first()
    return account.provider if account else None
