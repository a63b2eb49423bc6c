"""The user's inbox: their notices newest first, marking them read, and how they want them delivered.

Personal pages: every notice comes through `Notification.objects.restrict(user, ...)`, which is the
recipient's own rows only, so somebody else's notice is a 404 like one that does not exist. Every state
change is a POST; opening a notice marks it read and then follows its link (a path inside the platform only).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from bangfu.core.masking import mask_phone
from bangfu.core.scoping import get_scoped_or_404
from bangfu.notifications.forms import PreferenceForm
from bangfu.notifications.models import Notification, NotificationPreference
from bangfu.notifications.services import mark_all_read, mark_read, set_preferences
from bangfu.notifications.templatetags.notices import unread_count

PAGE_SIZE = 25


def _safe_local(request, url: str) -> str | None:
    """`url` when it is a path of this platform (never another host: a notice link or `next` is no redirect
    anywhere)."""
    if url and url.startswith("/") and url_has_allowed_host_and_scheme(
            url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return url
    return None


def _back(request):
    return redirect(_safe_local(request, request.POST.get("next", "")) or reverse("notifications:inbox"))


@login_required
def inbox(request, preference_form=None):
    user = request.user
    only_unread = request.GET.get("show") == "unread"
    notices = Notification.objects.restrict(user, "view").order_by("-created_at", "-id")
    if only_unread:
        notices = notices.unread()
    page = Paginator(notices.only("id", "kind", "title", "body", "link", "urgency", "created_at", "read_at"),
                     PAGE_SIZE).get_page(request.GET.get("page"))
    # The same bounded count as the bell, kept on the request so that the bell does not ask again.
    unread = request._unread_notice_count = unread_count(user)
    preference = NotificationPreference.for_user(user)
    form = preference_form or PreferenceForm(initial={"email_enabled": preference.email_enabled,
                                                      "sms_urgent_enabled": preference.sms_urgent_enabled})
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "notifications/inbox.html", {
        "page": page, "only_unread": only_unread, "query": query.urlencode(), "form": form,
        "unread": unread,
        "email": user.email, "phone_masked": mask_phone(user.phone),
        "here": request.get_full_path(),
        "crumbs": [(_("Notifications"), "")],
    })


@login_required
@require_POST
def notice_open(request, pk):
    """Mark the notice read and go to what it is about."""
    notice = get_scoped_or_404(Notification, request.user, "change", pk=pk)
    mark_read(request.user, notice)
    target = _safe_local(request, notice.link)
    if target is None:
        return _back(request)
    return redirect(target)


@login_required
@require_POST
def notice_mark_read(request, pk):
    notice = get_scoped_or_404(Notification, request.user, "change", pk=pk)
    mark_read(request.user, notice)
    return _back(request)


@login_required
def notices_mark_all_read(request):
    if request.method != "POST":
        return redirect("notifications:inbox")  # nothing changes on a GET
    count = mark_all_read(request.user)
    if count:
        messages.success(request, ngettext("%(count)d notice marked read.", "%(count)d notices marked read.",
                                           count) % {"count": count})
    return _back(request)


@login_required
def preferences(request):
    if request.method != "POST":
        return redirect("notifications:inbox")
    form = PreferenceForm(request.POST)
    if not form.is_valid():  # two checkboxes cannot be invalid; kept for a future field
        return inbox(request, preference_form=form)
    set_preferences(request.user, **form.cleaned_data)
    messages.success(request, _("Your delivery choices were saved."))
    return redirect("notifications:inbox")
