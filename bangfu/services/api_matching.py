"""REST API of the matching rounds (registered with the rest of `bangfu.services.api`):

    GET/POST   /api/v1/services/rounds/                  rounds of your unions, with their figures / create one
    GET        /api/v1/services/rounds/{id}/             one round (`stats`, `last_error`)
    POST       /api/v1/services/rounds/{id}/solve/       solve (again): 200 with the round, or 400 with the error
                                                         recorded on it (the previous solution is kept)
    GET/POST   /api/v1/services/pair-rules/              pins and forbids (?round=) / pin or forbid a pair
    GET/DELETE /api/v1/services/pair-rules/{id}/         one pin or forbid / remove it
    GET        /api/v1/services/matches/                 matches (?round, ?offer, ?request, ?provider, ?state);
                                                         a provider's account: its own, a worker: their household's
    POST       /api/v1/services/matches/{id}/accept|decline|deliver/
    GET        /api/v1/services/round-requests/          how a round treated each request (?round, ?reason)

Scoped through `ScopedViewSetMixin` like the rest of the app; writes through `bangfu.services.actions`.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from bangfu.api.base import api_errors, non_field
from bangfu.core.scoping import assert_in_scope
from bangfu.orgs.models import Org
from bangfu.registry.api.views import validated
from bangfu.services.actions.matches import match_accept, match_decline, match_deliver
from bangfu.services.actions.rounds import pair_rule_remove, pair_rule_set, round_create, round_solve
from bangfu.services.api import NOT_YOURS, REFUSED, ServiceBase, refuse, require, run, without_secrets
from bangfu.services.api_serializers import (
    MAX_ID,
    MatchRoundSerializer,
    MatchSerializer,
    PairRuleCreateSerializer,
    PairRuleSerializer,
    RoundCreateSerializer,
    RoundRequestSerializer,
    ServiceNoteSerializer,
    ServiceReasonSerializer,
)
from bangfu.services.models import Match, MatchRound, MatchState, PairRule, Project, RoundRequest, RoundState


def _id_filter(field_name: str, label):
    return filters.NumberFilter(field_name=field_name, min_value=1, max_value=MAX_ID, label=label)


# --- rounds ----------------------------------------------------------------------------------------------------


class RoundFilter(filters.FilterSet):
    state = filters.ChoiceFilter(choices=RoundState.choices, label=_("state"))
    org = _id_filter("org_id", _("union id"))
    project = _id_filter("project_id", _("project id"))

    class Meta:
        model = MatchRound
        fields = ["state", "org", "project"]


@extend_schema_view(
    list=extend_schema(summary=_("Matching rounds of your unions")),
    retrieve=extend_schema(summary=_("One matching round with the figures of its last solution")),
    create=extend_schema(summary=_("Create a matching round for your union or one below it"),
                         request=RoundCreateSerializer, responses={201: MatchRoundSerializer, 404: NOT_YOURS}),
)
class MatchRoundViewSet(ServiceBase):
    queryset = MatchRound.objects.select_related("org").order_by("-created_at", "-id")
    serializer_class = MatchRoundSerializer
    filterset_class = RoundFilter
    http_method_names = ["get", "post", "head", "options"]
    scope_actions = {"solve": "change"}

    def create(self, request, *args, **kwargs):
        user = request.user
        require(user, "services.add_matchround")
        data = validated(RoundCreateSerializer, request.data)
        org = Org.objects.restrict(user, "view").filter(pk=data["org"]).first() if data.get("org") else user.org
        if org is None:
            raise refuse("org", _("Choose your union or a union below it."))
        project = None
        if data.get("project"):
            project = Project.objects.restrict(user, "view").filter(pk=data["project"]).first()
            if project is None:
                raise refuse("project", _("Choose a project of your union."))
        with transaction.atomic():
            match_round = run(round_create, user, org, project=project)
            assert_in_scope(match_round, user, "view")
        return self.fresh(match_round, status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("Solve the round (again)"),
        description=_("Allocates the offers' free units to the open requests so that the total need-and-urgency "
                      "weight served is as large as possible, honouring the round's pins and forbids. When it "
                      "cannot be solved (e.g. a pin asks for more units than are free) the error is recorded on "
                      "the round, answered as a 400, and the previous solution is kept."),
        request=None, responses={200: MatchRoundSerializer, 400: REFUSED})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def solve(self, request, pk=None, **kwargs):
        match_round = self.get_object()  # services.change_matchround
        # Not inside a transaction: a failure is recorded on the round and must stay recorded.
        try:
            match_round = round_solve(request.user, match_round)
        except DjangoValidationError as error:
            raise api_errors(error, rename=non_field) from None
        return self.fresh(match_round)


# --- pins and forbids -------------------------------------------------------------------------------------------


class PairRuleFilter(filters.FilterSet):
    round = _id_filter("round_id", _("round id"))
    kind = filters.ChoiceFilter(choices=PairRule.Kind.choices, label=_("kind"))

    class Meta:
        model = PairRule
        fields = ["round", "kind"]


@extend_schema_view(
    list=extend_schema(summary=_("Pinned and forbidden pairs of the rounds you may see")),
    retrieve=extend_schema(summary=_("One pinned or forbidden pair")),
    create=extend_schema(summary=_("Pin (units of) a request–offer pair or forbid it; the next solve honours it"),
                         request=PairRuleCreateSerializer, responses={201: PairRuleSerializer}),
    destroy=extend_schema(summary=_("Remove a pin or forbid (the next solve no longer honours it)"),
                          responses={204: OpenApiResponse(description=_("Removed."))}),
)
class PairRuleViewSet(mixins.DestroyModelMixin, ServiceBase):
    queryset = PairRule.objects.order_by("round_id", "id")
    serializer_class = PairRuleSerializer
    filterset_class = PairRuleFilter
    http_method_names = ["get", "post", "delete", "head", "options"]
    # Pair rules are part of their round: removing one needs the round's change permission (checked below).
    scope_actions = {"destroy": "view"}

    def create(self, request, *args, **kwargs):
        user = request.user
        data = validated(PairRuleCreateSerializer, request.data)
        match_round = MatchRound.objects.restrict(user, "change").select_related("org").filter(
            pk=data["round"]).first()
        if match_round is None:
            raise refuse("round", _("Choose a round of your union or a union below it."))
        rule = run(pair_rule_set, user, match_round, request_id=data["request"], offer_id=data["offer"],
                   kind=data["kind"], units=data["units"], reason=data["reason"])
        return self.fresh(rule, status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        rule = self.get_object()
        if not MatchRound.objects.restrict(request.user, "change").filter(pk=rule.round_id).exists():
            raise NotFound()
        run(pair_rule_remove, request.user, rule)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- matches ----------------------------------------------------------------------------------------------------


class MatchFilter(filters.FilterSet):
    round = _id_filter("round_id", _("round id"))
    offer = _id_filter("offer_id", _("offer id"))
    request = _id_filter("request_id", _("request id"))
    provider = _id_filter("offer__provider_id", _("provider id"))
    household = filters.NumberFilter(method="filter_household", min_value=1, max_value=MAX_ID,
                                     label=_("household id (staff only)"))
    state = filters.ChoiceFilter(choices=MatchState.choices, label=_("state"))

    class Meta:
        model = Match
        fields = ["round", "offer", "request", "provider", "household", "state"]

    def filter_household(self, queryset, name, value):
        if value is None:
            return queryset
        if getattr(self.request.user, "kind", None) != "staff":
            return queryset.none()  # a provider never learns which household a request is of
        return queryset.filter(request__household_id=value)


@extend_schema_view(
    list=extend_schema(summary=_("Matches you may see (a provider's account: of its offers; a worker: of their "
                                 "household's requests)")),
    retrieve=extend_schema(summary=_("One match with why it was made")),
)
class MatchViewSet(ServiceBase):
    queryset = without_secrets(Match.objects.select_related(
        "offer__provider", "request__item", "request__household__org", "request__member"), "request__").order_by(
        "round_id", "-unit_weight", "id")
    serializer_class = MatchSerializer
    filterset_class = MatchFilter
    http_method_names = ["get", "post", "head", "options"]
    scope_actions = {"accept": "change", "decline": "change", "deliver": "change"}

    @extend_schema(summary=_("Accept the match (a provider's account for the provider, anybody else for the "
                             "household); accepted by both, the request is taken"),
                   request=None, responses={200: MatchSerializer, 400: REFUSED})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def accept(self, request, pk=None, **kwargs):
        return self.fresh(run(match_accept, request.user, self.get_object()))

    @extend_schema(summary=_("Decline the match with a reason (the units go back to the next round)"),
                   request=ServiceReasonSerializer, responses={200: MatchSerializer})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def decline(self, request, pk=None, **kwargs):
        match = self.get_object()
        reason = validated(ServiceReasonSerializer, request.data)["reason"]
        return self.fresh(run(match_decline, request.user, match, reason=reason))

    @extend_schema(summary=_("Record the delivery of an accepted match (the provider or the union)"),
                   request=ServiceNoteSerializer, responses={200: MatchSerializer})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def deliver(self, request, pk=None, **kwargs):
        match = self.get_object()
        if request.user.kind == "worker":
            raise NotFound()  # the worker says it was delivered by rating it, not by recording it
        note = validated(ServiceNoteSerializer, request.data)["note"]
        return self.fresh(run(match_deliver, request.user, match, note=note))


# --- request outcomes of a round --------------------------------------------------------------------------------


class RoundRequestFilter(filters.FilterSet):
    round = _id_filter("round_id", _("round id"))
    reason = filters.ChoiceFilter(choices=RoundRequest.Reason.choices, label=_("outcome"))

    class Meta:
        model = RoundRequest
        fields = ["round", "reason"]


@extend_schema_view(
    list=extend_schema(summary=_("How rounds treated each open request: units wanted and allocated, and why")),
    retrieve=extend_schema(summary=_("How a round treated one request")),
)
class RoundRequestViewSet(ServiceBase):
    queryset = RoundRequest.objects.select_related("request__household").defer(
        "request__household__address", "request__household__bank_account").order_by("round_id", "id")
    serializer_class = RoundRequestSerializer
    filterset_class = RoundRequestFilter
    http_method_names = ["get", "head", "options"]

