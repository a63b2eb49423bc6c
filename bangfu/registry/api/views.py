"""Viewsets of the archive API (registered in bangfu/api/urls.py):

    GET/POST        /api/v1/households/                 scoped list (paginated) / open a draft archive
    GET/PATCH       /api/v1/households/{id}/            one archive (masked) / change its facts and causes
    GET/POST        /api/v1/members/?household={id}     members you may see / add one to a household
    GET/PATCH/DELETE /api/v1/members/{id}/              one member / change / remove (not the head)
    GET/POST        /api/v1/attachments/?household={id} evidence metadata / upload (multipart)
    GET             /api/v1/attachments/{id}/           one file's metadata (the bytes: the page's download)

Scoping through `ScopedViewSetMixin` (another union's row is a 404); writes through the same write
functions as the pages (`bangfu.registry.services`), whose field-level ValidationErrors become the API's
400 body. Transitions and the eligibility pre-check are other endpoints.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from bangfu.api.base import ScopedViewSetMixin, api_errors
from bangfu.api.schema import ErrorSerializer
from bangfu.orgs.models import Org
from bangfu.registry.api.serializers import (
    AttachmentCreateSerializer,
    AttachmentSerializer,
    HouseholdCreateSerializer,
    HouseholdSerializer,
    HouseholdWriteSerializer,
    MemberCreateSerializer,
    MemberSerializer,
    MemberWriteSerializer,
)
from bangfu.registry.models import Attachment, Household, Member
from bangfu.registry.services import archive as services
from bangfu.registry.services.evidence import attachment_add

HEAD_FIELDS = set(MemberWriteSerializer().fields)
MAX_ID = 2**63 - 1  # a bigger id in a filter is a 400 (SQLite cannot even bind it), not a 500
NO_HOUSEHOLD = OpenApiResponse(ErrorSerializer, description=_("No such household among those you may edit."))


def flat_errors(detail, prefix: str = "") -> dict:
    """DRF's nested error dicts as flat "head.name" keys (the documented error body is flat)."""
    flat: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            flat.update(flat_errors(value, f"{prefix}{key}." if not isinstance(value, list) else f"{prefix}{key}"))
    elif isinstance(detail, list):
        key = prefix.rstrip(".") or "non_field_errors"
        for item in detail:
            if isinstance(item, dict):
                flat.update(flat_errors(item, f"{key}."))
            else:
                flat.setdefault(key, []).append(str(item))
    else:
        flat.setdefault(prefix.rstrip(".") or "non_field_errors", []).append(str(detail))
    return flat


def validated(serializer_class, data, **kwargs):
    serializer = serializer_class(data=data, **kwargs)
    if not serializer.is_valid():
        raise ApiValidationError(flat_errors(serializer.errors))
    return serializer.validated_data


def editable_household(request, pk) -> Household:
    """A household the user may change (404 otherwise, also for a malformed id)."""
    household = Household.objects.restrict(request.user, "change").filter(pk=pk).first()
    if household is None:
        raise NotFound()
    return household


class HouseholdFilter(filters.FilterSet):
    state = filters.CharFilter(field_name="state", max_length=16, label=_("state"))
    archive_number = filters.CharFilter(field_name="archive_number", max_length=32, label=_("archive number"))

    class Meta:
        model = Household
        fields = ["state", "archive_number"]


@extend_schema_view(
    list=extend_schema(summary=_("Household archives you may see (masked)")),
    retrieve=extend_schema(summary=_("One household archive (masked)")),
    create=extend_schema(summary=_("Open a new archive (draft) with its head"), request=HouseholdCreateSerializer,
                         responses={201: HouseholdSerializer, 404: NO_HOUSEHOLD}),
    partial_update=extend_schema(summary=_("Change the household facts and causes"),
                                 request=HouseholdWriteSerializer, responses={200: HouseholdSerializer}),
)
class HouseholdViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                       viewsets.GenericViewSet):
    queryset = Household.objects.select_related("org").prefetch_related(
        Prefetch("members", queryset=Member.objects.order_by("-is_head", "id")), "causes"
    ).order_by("-id")
    serializer_class = HouseholdSerializer
    filterset_class = HouseholdFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def create(self, request, *args, **kwargs):
        data = validated(HouseholdCreateSerializer, request.data)
        if not request.user.has_role_permission("registry.add_household"):
            raise NotFound()
        org = Org.objects.restrict(request.user, "view").filter(pk=data["org"], is_active=True).first()
        if org is None:
            raise ApiValidationError({"org": [str(_("Choose a union of your own subtree."))]})
        head = dict(data.pop("head"))
        causes = data.pop("causes", None)
        household_data = {k: v for k, v in data.items() if k != "org"}
        try:
            with transaction.atomic():
                household = services.household_create(request.user, org, household_data, head)
                if causes is not None:
                    services.causes_set(household, causes.get("main"), causes.get("secondary"),
                                        actor=request.user)
        except DjangoValidationError as error:
            raise api_errors(error, rename=lambda k: f"head.{k}" if k in HEAD_FIELDS else k) \
                from None
        household = HouseholdViewSet.queryset.get(pk=household.pk)
        return Response(HouseholdSerializer(household, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        household = self.get_object()  # scoped with "change"
        data = validated(HouseholdWriteSerializer, request.data, partial=True)
        causes = data.pop("causes", None)
        try:
            with transaction.atomic():
                if data:
                    services.household_update(request.user, household, data)
                if causes is not None:
                    services.causes_set(household, causes.get("main"), causes.get("secondary"),
                                        actor=request.user)
        except DjangoValidationError as error:
            raise api_errors(error) from None
        return Response(HouseholdSerializer(self.get_queryset().get(pk=household.pk),
                                            context=self.get_serializer_context()).data)


class MemberFilter(filters.FilterSet):
    household = filters.NumberFilter(field_name="household_id", min_value=1, max_value=MAX_ID,
                                     label=_("household id"))

    class Meta:
        model = Member
        fields = ["household"]


@extend_schema_view(
    list=extend_schema(summary=_("Household members you may see (masked)")),
    retrieve=extend_schema(summary=_("One household member (masked)")),
    create=extend_schema(summary=_("Add a member to a household"), request=MemberCreateSerializer,
                         responses={201: MemberSerializer, 404: NO_HOUSEHOLD}),
    partial_update=extend_schema(summary=_("Change a member"), request=MemberWriteSerializer,
                                 responses={200: MemberSerializer}),
    destroy=extend_schema(summary=_("Remove a member (not the head)")),
)
class MemberViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Member.objects.select_related("household").order_by("household_id", "-is_head", "id")
    serializer_class = MemberSerializer
    filterset_class = MemberFilter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def create(self, request, *args, **kwargs):
        data = dict(validated(MemberCreateSerializer, request.data))
        if not request.user.has_role_permission("registry.add_member"):
            raise NotFound()
        household = editable_household(request, data.pop("household"))
        try:
            member = services.member_add(request.user, household, data)
        except DjangoValidationError as error:
            raise api_errors(error) from None
        return Response(MemberSerializer(member).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        member = self.get_object()
        editable_household(request, member.household_id)
        data = validated(MemberWriteSerializer, request.data, partial=True)
        try:
            member = services.member_update(request.user, member, dict(data))
        except DjangoValidationError as error:
            raise api_errors(error) from None
        return Response(MemberSerializer(member).data)

    def destroy(self, request, *args, **kwargs):
        member = self.get_object()  # scoped with "delete"
        editable_household(request, member.household_id)
        try:
            services.member_remove(request.user, member)
        except DjangoValidationError as error:
            raise api_errors(error) from None
        return Response(status=status.HTTP_204_NO_CONTENT)


class AttachmentFilter(filters.FilterSet):
    household = filters.NumberFilter(field_name="household_id", min_value=1, max_value=MAX_ID,
                                     label=_("household id"))
    kind = filters.CharFilter(max_length=16, label=_("document kind"))

    class Meta:
        model = Attachment
        fields = ["household", "kind"]


@extend_schema_view(
    list=extend_schema(summary=_("Evidence files you may see (metadata only)")),
    retrieve=extend_schema(summary=_("One evidence file's metadata")),
    create=extend_schema(summary=_("Upload an evidence file (PDF, JPEG or PNG)"),
                         request={"multipart/form-data": AttachmentCreateSerializer},
                         responses={201: AttachmentSerializer, 404: NO_HOUSEHOLD}),
)
class AttachmentViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                        viewsets.GenericViewSet):
    queryset = Attachment.objects.order_by("-id")
    serializer_class = AttachmentSerializer
    filterset_class = AttachmentFilter
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    http_method_names = ["get", "post", "head", "options"]

    def create(self, request, *args, **kwargs):
        data = validated(AttachmentCreateSerializer, request.data)
        if not request.user.has_role_permission("registry.add_attachment"):
            raise NotFound()
        household = editable_household(request, data["household"])
        try:
            attachment = attachment_add(household, data["file"], kind=data["kind"], actor=request.user,
                                        member=data.get("member"))
        except DjangoValidationError as error:
            raise api_errors(error) from None
        return Response(AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)
