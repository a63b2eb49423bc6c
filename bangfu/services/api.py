"""REST API of bangfu.services, the service platform (registered on the router in bangfu/api/urls.py):

    GET        /api/v1/services/items/                      the menu (and one item)
    GET/POST   /api/v1/services/providers/                  providers you may see / register one (staff)
    GET/PATCH  /api/v1/services/providers/{id}/             one provider / change its details (staff, or its account)
    POST       /api/v1/services/providers/{id}/decide/      verify, reject or suspend (reviewers)
    GET/POST   /api/v1/services/offers/                     offers you may see / create one (a provider's account
                                                            for itself, a case worker for a provider of its subtree)
    GET/PATCH  /api/v1/services/offers/{id}/                one offer / change it
    POST       /api/v1/services/offers/{id}/submit/         submit for moderation
    POST       /api/v1/services/offers/{id}/moderate/       publish or reject with a note (reviewers of the area)
    POST       /api/v1/services/offers/{id}/withdraw/       withdraw

Requests: `bangfu.services.api_requests`; rounds, pair rules, matches and request outcomes:
`bangfu.services.api_matching`.

Every endpoint fetches through `Model.objects.restrict(user, action)` (`ScopedViewSetMixin`): a record of another
union is a 404, like one that does not exist. Every write calls the functions of `bangfu.services.actions`, whose
messages by field are the 400 body; ids in a body that name nothing the user may see get the same 400 as ids
that name nothing at all.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from bangfu.api.base import ScopedViewSetMixin, api_errors, non_field
from bangfu.api.schema import ErrorSerializer
from bangfu.core.scoping import assert_in_scope
from bangfu.orgs.models import Org
from bangfu.registry.api.views import validated
from bangfu.services.actions.offers import offer_create, offer_moderate, offer_submit, offer_update, offer_withdraw
from bangfu.services.actions.providers import provider_decide, provider_register, provider_update
from bangfu.services.api_serializers import (
    MAX_ID,
    ModerationSerializer,
    OfferSerializer,
    OfferWriteSerializer,
    ProviderDecisionSerializer,
    ProviderRegisterSerializer,
    ProviderSerializer,
    ProviderWriteSerializer,
    ServiceItemSerializer,
)
from bangfu.services.models import (
    ItemKind,
    Offer,
    OfferState,
    Project,
    Provider,
    ProviderAccount,
    ProviderKind,
    ProviderState,
    ServiceItem,
)

REFUSED = OpenApiResponse(ErrorSerializer, description=_("Refused: the reasons, by field."))
NOT_YOURS = OpenApiResponse(ErrorSerializer, description=_("Your roles do not create these."))
# Encrypted columns of the joined household and member that no answer here shows (not decrypted per row).
SECRET_COLUMNS = ("address", "bank_account")
SECRET_MEMBER_COLUMNS = ("identity_number", "diagnosis", "phone")


def run(function, *args, **kwargs):
    """Call a write function; its ValidationError is the API's 400 (messages by field)."""
    try:
        return function(*args, **kwargs)
    except DjangoValidationError as error:
        raise api_errors(error, rename=non_field) from None


def require(user, permission: str) -> None:
    """Without the permission, a create is a 404 like every other refusal of the API."""
    if not user.has_role_permission(permission):
        raise NotFound()


def refuse(field: str, message) -> ApiValidationError:
    return ApiValidationError({field: [str(message)]})


def without_secrets(queryset, prefix: str = ""):
    return queryset.defer(*(f"{prefix}household__{c}" for c in SECRET_COLUMNS),
                          *(f"{prefix}member__{c}" for c in SECRET_MEMBER_COLUMNS))


class ServiceBase(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    parser_classes = [JSONParser]  # JSON bodies only
    http_method_names = ["get", "post", "patch", "head", "options"]

    def fresh(self, obj, code=status.HTTP_200_OK) -> Response:
        """The object as the list shows it, read again after the write."""
        row = type(self).queryset.get(pk=obj.pk)
        return Response(type(self).serializer_class(row, context=self.get_serializer_context()).data, status=code)


# --- the menu ----------------------------------------------------------------------------------------------------


class ServiceItemFilter(filters.FilterSet):
    kind = filters.ChoiceFilter(choices=ItemKind.choices, label=_("kind"))
    active = filters.BooleanFilter(field_name="is_active", label=_("on the menu"))

    class Meta:
        model = ServiceItem
        fields = ["kind", "active"]


@extend_schema_view(list=extend_schema(summary=_("The menu of services")),
                    retrieve=extend_schema(summary=_("One item of the menu")))
class ServiceItemViewSet(ServiceBase):
    queryset = ServiceItem.objects.order_by("kind", "code")
    serializer_class = ServiceItemSerializer
    filterset_class = ServiceItemFilter
    http_method_names = ["get", "head", "options"]


# --- providers -------------------------------------------------------------------------------------------------


class ProviderFilter(filters.FilterSet):
    state = filters.ChoiceFilter(choices=ProviderState.choices, label=_("state"))
    kind = filters.ChoiceFilter(choices=ProviderKind.choices, label=_("kind"))

    class Meta:
        model = Provider
        fields = ["state", "kind"]


PROVIDER_DECISIONS = {"verify": ProviderState.VERIFIED, "reject": ProviderState.REJECTED,
                      "suspend": ProviderState.SUSPENDED}


@extend_schema_view(
    list=extend_schema(summary=_("Providers registered with your unions (a provider's account: its own)")),
    retrieve=extend_schema(summary=_("One provider")),
    create=extend_schema(summary=_("Register a provider with your union or one below it (it waits for "
                                   "verification)"), request=ProviderRegisterSerializer,
                         responses={201: ProviderSerializer, 404: NOT_YOURS}),
    partial_update=extend_schema(summary=_("Change a provider's details (a verified provider that changes its name "
                                           "or credit code is verified again)"),
                                 request=ProviderWriteSerializer, responses={200: ProviderSerializer}),
)
class ProviderViewSet(ServiceBase):
    queryset = Provider.objects.select_related("org").order_by("name", "id")
    serializer_class = ProviderSerializer
    filterset_class = ProviderFilter
    scope_actions = {"decide": "verify"}

    def create(self, request, *args, **kwargs):
        user = request.user
        require(user, "services.add_provider")
        data = dict(validated(ProviderRegisterSerializer, request.data))
        org_id = data.pop("org", None)
        org = Org.objects.restrict(user, "view").filter(pk=org_id).first() if org_id else user.org
        if org is None:
            raise refuse("org", _("Choose your union or a union below it."))
        with transaction.atomic():
            provider = run(provider_register, user, org, **data)
            assert_in_scope(provider, user, "view")
        return self.fresh(provider, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        provider = self.get_object()  # "change": staff of the subtree, or the provider's own account
        data = validated(ProviderWriteSerializer, request.data, partial=True)
        return self.fresh(run(provider_update, request.user, provider, **data))

    @extend_schema(summary=_("Verify, reject or suspend a provider (reject and suspend need a note)"),
                   request=ProviderDecisionSerializer, responses={200: ProviderSerializer})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def decide(self, request, pk=None, **kwargs):
        provider = self.get_object()  # services.verify_provider
        data = validated(ProviderDecisionSerializer, request.data)
        return self.fresh(run(provider_decide, request.user, provider, state=PROVIDER_DECISIONS[data["decision"]],
                              note=data.get("note", "")))


# --- offers --------------------------------------------------------------------------------------------------------


class OfferFilter(filters.FilterSet):
    state = filters.ChoiceFilter(choices=OfferState.choices, label=_("state"))
    item = filters.NumberFilter(field_name="item_id", min_value=1, max_value=MAX_ID, label=_("menu item id"))
    provider = filters.NumberFilter(field_name="provider_id", min_value=1, max_value=MAX_ID, label=_("provider id"))

    class Meta:
        model = Offer
        fields = ["state", "item", "provider"]


@extend_schema_view(
    list=extend_schema(summary=_("Offers you may see (a provider's account: its own; a worker: the published "
                                 "offers of their area)")),
    retrieve=extend_schema(summary=_("One offer")),
    create=extend_schema(summary=_("Create an offer (a draft; submit it for moderation)"),
                         request=OfferWriteSerializer, responses={201: OfferSerializer, 404: NOT_YOURS}),
    partial_update=extend_schema(summary=_("Change an offer (a published offer goes back to moderation)"),
                                 request=OfferWriteSerializer, responses={200: OfferSerializer}),
)
class OfferViewSet(ServiceBase):
    queryset = Offer.objects.select_related("provider", "item", "area_org").order_by("-created_at", "-id")
    serializer_class = OfferSerializer
    filterset_class = OfferFilter
    scope_actions = {"submit": "change", "moderate": "moderate", "withdraw": "change"}

    def _provider(self, pk) -> Provider:
        """A provider's account offers for its own provider; staff name one of their subtree."""
        user = self.request.user
        if user.kind == "provider":
            account = ProviderAccount.objects.select_related("provider__org").filter(user=user).first()
            if account is None:
                raise refuse("provider", _("Your account acts for no provider yet: ask the union you registered "
                                           "with."))
            return account.provider
        provider = Provider.objects.restrict(user, "view").select_related("org").filter(pk=pk).first() if pk else None
        if provider is None:
            raise refuse("provider", _("Choose a provider registered with your union or a union below it."))
        return provider

    def _objects(self, data: dict) -> dict:
        """Ids of the body as the objects the write function checks (None for an id naming nothing visible: the
        function's own message, the same as for a missing one)."""
        user = self.request.user
        if "item" in data:
            data["item"] = ServiceItem.objects.restrict(user, "view").filter(pk=data["item"]).first()
        if "area_org" in data:  # any union: the write function accepts only the provider's subtree
            data["area_org"] = Org.objects.filter(pk=data["area_org"]).first() if data["area_org"] else None
        if data.get("project"):
            data["project"] = Project.objects.restrict(user, "view").filter(pk=data["project"]).first()
            if data["project"] is None:
                raise refuse("project", _("Choose a project of your union."))
        return data

    def create(self, request, *args, **kwargs):
        user = request.user
        require(user, "services.add_offer")
        data = dict(validated(OfferWriteSerializer, request.data))
        provider = self._provider(data.pop("provider", None))
        data = self._objects(data)
        with transaction.atomic():
            offer = run(offer_create, user, provider, **data)
            assert_in_scope(offer, user, "view")
        return self.fresh(offer, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        offer = self.get_object()  # "change": the provider's own offers
        data = dict(validated(OfferWriteSerializer, request.data, partial=True))
        data.pop("provider", None)  # an offer stays with its provider
        return self.fresh(run(offer_update, request.user, offer, **self._objects(data)))

    @extend_schema(summary=_("Submit a draft or rejected offer for moderation"), request=None,
                   responses={200: OfferSerializer, 400: REFUSED})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def submit(self, request, pk=None, **kwargs):
        return self.fresh(run(offer_submit, request.user, self.get_object()))

    @extend_schema(summary=_("Publish or reject (with a note) an offer waiting for moderation"),
                   request=ModerationSerializer, responses={200: OfferSerializer})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def moderate(self, request, pk=None, **kwargs):
        offer = self.get_object()  # services.moderate_offer, offers of the user's subtree
        data = validated(ModerationSerializer, request.data)
        return self.fresh(run(offer_moderate, request.user, offer, publish=data["decision"] == "publish",
                              note=data.get("note", "")))

    @extend_schema(summary=_("Withdraw an offer (its open proposals are superseded; accepted matches stay)"),
                   request=None, responses={200: OfferSerializer, 400: REFUSED})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def withdraw(self, request, pk=None, **kwargs):
        return self.fresh(run(offer_withdraw, request.user, self.get_object()))


def register(router) -> None:
    """Register this app's viewsets on the API router."""
    from bangfu.services.api_matching import MatchRoundViewSet, MatchViewSet, PairRuleViewSet, RoundRequestViewSet
    from bangfu.services.api_requests import ServiceRequestViewSet

    router.register("services/items", ServiceItemViewSet, basename="serviceitem")
    router.register("services/providers", ProviderViewSet, basename="serviceprovider")
    router.register("services/offers", OfferViewSet, basename="serviceoffer")
    router.register("services/requests", ServiceRequestViewSet, basename="servicerequest")
    router.register("services/rounds", MatchRoundViewSet, basename="matchround")
    router.register("services/matches", MatchViewSet, basename="servicematch")
    router.register("services/round-requests", RoundRequestViewSet, basename="roundrequest")
    router.register("services/pair-rules", PairRuleViewSet, basename="pairrule")
