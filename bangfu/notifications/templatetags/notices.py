"""`{% unread_notice_count as n %}`: the number on the bell of the top navigation (base.html).

One query per page, on the (recipient, read_at) index, bounded by `BADGE_CAP` so a user with thousands of
unread notices costs the same as one with three; the answer is kept on the request, so a page that asks
twice still asks the database once.
"""

from __future__ import annotations

from django import template

register = template.Library()

BADGE_CAP = 100  # shown as "99+" from here on


def unread_count(user) -> int:
    from bangfu.notifications.models import Notification

    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True)[:BADGE_CAP].count()


@register.simple_tag(takes_context=True)
def unread_notice_count(context) -> int:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    cached = getattr(request, "_unread_notice_count", None)
    if cached is None:
        cached = request._unread_notice_count = unread_count(user)
    return cached


@register.filter
def badge_number(count: int) -> str:
    return "99+" if count >= BADGE_CAP else str(count)
