"""REST API of bangfu.notifications (registered on the router in bangfu/api/urls.py):

    GET        /api/v1/notifications/                   the user's own notices, newest first (?unread=true)
    GET        /api/v1/notifications/{id}/              one of them
    POST       /api/v1/notifications/{id}/mark-read/    mark it read
    POST       /api/v1/notifications/mark-all-read/     mark every unread one read
    GET/PATCH  /api/v1/notifications/preferences/       e-mail on/off, SMS for urgent notices on/off

Personal: `Notification.objects.restrict(user)` is the recipient's own rows, so another user's notice is a
404 whatever the caller's role. Writes go through `bangfu.notifications.services`, like the inbox page.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from bangfu.api.base import ScopedViewSetMixin
from bangfu.notifications.models import Notification, NotificationPreference, Urgency
from bangfu.notifications.services import mark_all_read, mark_read, set_preferences


class NotificationSerializer(serializers.ModelSerializer):
    is_read = serializers.BooleanField(read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "link", "urgency", "created_at", "read_at", "is_read",
                  "emailed_at", "texted_at"]
        read_only_fields = fields


class PreferenceSerializer(serializers.Serializer):
    email_enabled = serializers.BooleanField(required=False, help_text=_("Notices are also sent by e-mail."))
    sms_urgent_enabled = serializers.BooleanField(
        required=False, help_text=_("Urgent notices are also sent by text message."))


class NotificationFilter(filters.FilterSet):
    unread = filters.BooleanFilter(field_name="read_at", lookup_expr="isnull", label=_("unread only"))
    urgency = filters.ChoiceFilter(choices=Urgency.choices, label=_("urgency"))

    class Meta:
        model = Notification
        fields = ["unread", "urgency"]


MARKED = inline_serializer("NotificationsMarked", {"marked": serializers.IntegerField(
    help_text=_("How many notices were marked read."))})


@extend_schema_view(
    list=extend_schema(summary=_("Your notifications, newest first")),
    retrieve=extend_schema(summary=_("One of your notifications")),
)
class NotificationViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                          viewsets.GenericViewSet):
    queryset = Notification.objects.order_by("-created_at", "-id")
    parser_classes = [JSONParser]  # JSON bodies only (a malformed multipart body would be a 415)
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter

    @extend_schema(summary=_("Mark one of your notifications read"), request=None,
                   responses={200: NotificationSerializer})
    @action(detail=True, methods=["post"], url_path="mark-read", url_name="mark-read", filter_backends=[],
            pagination_class=None)
    def mark_read(self, request, pk=None, **kwargs):
        notice = mark_read(request.user, self.get_object())
        return Response(NotificationSerializer(notice).data)

    @extend_schema(summary=_("Mark all your unread notifications read"), request=None, responses={200: MARKED})
    @action(detail=False, methods=["post"], url_path="mark-all-read", url_name="mark-all-read", filter_backends=[],
            pagination_class=None)
    def mark_all_read(self, request, **kwargs):
        return Response({"marked": mark_all_read(request.user)})

    @extend_schema(methods=["GET"], summary=_("How your notifications are delivered"), request=None,
                   responses={200: PreferenceSerializer})
    @extend_schema(methods=["PATCH"], summary=_("Change how your notifications are delivered"),
                   request=PreferenceSerializer, responses={200: PreferenceSerializer})
    @action(detail=False, methods=["get", "patch"], url_path="preferences", url_name="preferences",
            filter_backends=[], pagination_class=None)
    def preferences(self, request, **kwargs):
        current = NotificationPreference.for_user(request.user)
        if request.method == "PATCH":
            serializer = PreferenceSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
            current = set_preferences(
                request.user, email_enabled=data.get("email_enabled", current.email_enabled),
                sms_urgent_enabled=data.get("sms_urgent_enabled", current.sms_urgent_enabled))
        return Response(PreferenceSerializer(current).data)


def register(router) -> None:
    """Register this app's viewsets on the API router."""
    router.register("notifications", NotificationViewSet, basename="notification")
