"""REST API of the service requests (registered with the rest of `bangfu.services.api`):

    GET/POST   /api/v1/services/requests/                   requests you may see (?state, ?item, ?household) / order
    GET        /api/v1/services/requests/{id}/              one request (a provider's account: masked)
    POST       /api/v1/services/requests/{id}/take/         a department of the union takes it (部室接单)
    POST       /api/v1/services/requests/{id}/decline/      answer no, with a reason
    POST       /api/v1/services/requests/{id}/fulfil/       record what was delivered
    POST       /api/v1/services/requests/{id}/sign-off/     the county union signs it off (县总签单)

A worker orders for their own household only; staff for the households of their subtree. Another union's
household gets the same 400 as one that does not exist.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from bangfu import audit
from bangfu.core.scoping import assert_in_scope
from bangfu.registry.api.views import validated
from bangfu.registry.models import Household, Member
from bangfu.services.actions.requests import (
    request_decline,
    request_fulfil,
    request_sign_off,
    request_submit,
    request_take,
)
from bangfu.services.api import NOT_YOURS, REFUSED, ServiceBase, refuse, require, run, without_secrets
from bangfu.services.api_serializers import (
    MAX_ID,
    RequestCreateSerializer,
    ServiceNoteSerializer,
    ServiceReasonSerializer,
    ServiceRequestSerializer,
)
from bangfu.services.models import Offer, Project, Provider, RequestState, ServiceItem, ServiceRequest


class RequestFilter(filters.FilterSet):
    state = filters.ChoiceFilter(choices=RequestState.choices, label=_("state"))
    item = filters.NumberFilter(field_name="item_id", min_value=1, max_value=MAX_ID, label=_("menu item id"))
    household = filters.NumberFilter(method="filter_household", min_value=1, max_value=MAX_ID,
                                     label=_("household id (not for providers' accounts)"))

    class Meta:
        model = ServiceRequest
        fields = ["state", "item", "household"]

    def filter_household(self, queryset, name, value):
        if value is None:
            return queryset
        if getattr(self.request.user, "kind", None) == "provider":
            return queryset.none()  # a provider never learns which household a request is of
        return queryset.filter(household_id=value)


@extend_schema_view(
    list=extend_schema(summary=_("Service requests you may see (a provider's account: those matched to its "
                                 "offers, masked)")),
    retrieve=extend_schema(summary=_("One service request")),
    create=extend_schema(summary=_("Order an item of the menu for a household"), request=RequestCreateSerializer,
                         responses={201: ServiceRequestSerializer, 404: NOT_YOURS}),
)
class ServiceRequestViewSet(ServiceBase):
    queryset = without_secrets(ServiceRequest.objects.select_related(
        "household__org", "member", "item", "taken_by_provider")).order_by("-submitted_at", "-id")
    serializer_class = ServiceRequestSerializer
    filterset_class = RequestFilter
    http_method_names = ["get", "post", "head", "options"]
    scope_actions = {"take": "change", "decline": "change", "fulfil": "change", "sign_off": "signoff"}

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        rows = len(response.data.get("results", ())) if isinstance(response.data, dict) else len(response.data)
        audit.log_access(request, "view", object_type="services.servicerequest", rows=rows, what="api_list")
        return response

    def retrieve(self, request, *args, **kwargs):
        service_request = self.get_object()
        audit.log_access(request, "view", obj=service_request, what="api_detail")
        return Response(self.get_serializer(service_request).data)

    @staticmethod
    def _member(user, household, pk):
        if household is None:
            return None
        if pk:
            return Member.objects.restrict(user, "view").filter(pk=pk, household=household).first()
        members = household.members.order_by("-is_head", "id")
        return members.filter(account=user).first() or members.filter(is_head=True).first()

    @staticmethod
    def _preferred_provider(user, pk):
        """A provider the user may see, or the provider of an offer the user may see (workers see offers)."""
        if not pk:
            return None
        provider = (Provider.objects.restrict(user, "view").filter(pk=pk).first()
                    or Provider.objects.filter(pk=pk, offers__in=Offer.objects.restrict(user, "view")).first())
        if provider is None:
            raise refuse("preferred_provider", _("Choose the provider of an offer you can see."))
        return provider

    def create(self, request, *args, **kwargs):
        user = request.user
        require(user, "services.add_servicerequest")
        data = validated(RequestCreateSerializer, request.data)
        # Another union's household (or another worker's) is None here: the write function answers as for
        # a household that does not exist.
        household = Household.objects.restrict(user, "view").select_related("org").filter(
            pk=data["household"]).first()
        project = None
        if household is not None and data.get("project"):
            project = Project.objects.restrict(user, "view").filter(pk=data["project"]).first()
            if project is None:
                raise refuse("project", _("Choose a project of your union."))
        member = self._member(user, household, data.get("member"))
        item = ServiceItem.objects.restrict(user, "view").filter(pk=data["item"]).first()
        preferred = self._preferred_provider(user, data.get("preferred_provider")) if household else None
        with transaction.atomic():
            service_request = run(request_submit, user, household, member=member, item=item,
                                  quantity=data["quantity"], urgency=data["urgency"],
                                  preferences=data["preferences"], preferred_provider=preferred, project=project)
            assert_in_scope(service_request, user, "view")
        return self.fresh(service_request, status.HTTP_201_CREATED)

    @extend_schema(summary=_("Take the request (a department of the union answers it itself)"),
                   request=ServiceNoteSerializer, responses={200: ServiceRequestSerializer})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def take(self, request, pk=None, **kwargs):
        service_request = self.get_object()
        note = validated(ServiceNoteSerializer, request.data)["note"]
        return self.fresh(run(request_take, request.user, service_request, note=note))

    @extend_schema(summary=_("Decline the request with a reason the worker reads"), request=ServiceReasonSerializer,
                   responses={200: ServiceRequestSerializer})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def decline(self, request, pk=None, **kwargs):
        service_request = self.get_object()
        reason = validated(ServiceReasonSerializer, request.data)["reason"]
        return self.fresh(run(request_decline, request.user, service_request, reason=reason))

    @extend_schema(summary=_("Record what was delivered"), request=ServiceNoteSerializer,
                   responses={200: ServiceRequestSerializer})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def fulfil(self, request, pk=None, **kwargs):
        service_request = self.get_object()
        note = validated(ServiceNoteSerializer, request.data)["note"]
        return self.fresh(run(request_fulfil, request.user, service_request, note=note))

    @extend_schema(summary=_("Sign a fulfilled request off (the county union or above)"), request=None,
                   responses={200: ServiceRequestSerializer, 400: REFUSED})
    @action(detail=True, methods=["post"], url_path="sign-off", url_name="sign-off", filter_backends=[],
            pagination_class=None)
    def sign_off(self, request, pk=None, **kwargs):
        return self.fresh(run(request_sign_off, request.user, self.get_object()))
