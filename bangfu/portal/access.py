"""Who may open a portal page: a signed-in worker whose session passed the SMS code.

`worker_page(Model)` also checks, before anything else, that the object named by the URL's `pk` is the worker's
own (`Model.objects.restrict(user, action)`): another household's object answers 404 whether or not the session
is verified, exactly as an object that does not exist. Staff and providers get 404 on every portal page (the
portal is not theirs; their pages are elsewhere).
"""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse

from bangfu.accounts.security import is_verified


def login_redirect(request):
    return redirect(f"{reverse('portal:login')}?{urlencode({'next': request.get_full_path()})}")


def worker_page(model=None, action: str = "view", lookup: str = "pk"):
    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return login_redirect(request)
            if user.kind != "worker":
                raise Http404
            if model is not None:
                try:
                    own = model.objects.restrict(user, action).filter(pk=int(kwargs[lookup])).exists()
                except (TypeError, ValueError):
                    own = False
                if not own:
                    raise Http404
            if not is_verified(user):
                # Signed in with the password only (e.g. on the staff sign-in page): the SMS step is still owed.
                return login_redirect(request)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
