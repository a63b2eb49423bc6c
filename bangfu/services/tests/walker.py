"""The service platform's URLs for the cross-org URL walker (tests/test_url_walker.py): a solved round of the
grassroots union over its household's request and a provider's offer, with a pin — none of which the sibling
union may see."""

from __future__ import annotations

from bangfu.accounts.roles import Role
from tests.test_url_walker import LIST, OBJECT, REFERENCE, Route

SVC_ROLES = (Role.CASE_WORKER, Role.REVIEWER, Role.LEADERSHIP)
EDIT_ROLES = (Role.CASE_WORKER, Role.REVIEWER)


def _pk(name):
    return lambda w: {"pk": w.extra[name].pk}


ROUTES = {
    "services:rounds": Route(LIST, roles=SVC_ROLES, control=None),
    "services:round_new": Route(LIST, roles=EDIT_ROLES, control=None),
    "services:round": Route(OBJECT, _pk("match_round"), SVC_ROLES),
    "services:round_solve": Route(OBJECT, _pk("match_round"), EDIT_ROLES),
    "services:rule_add": Route(OBJECT, _pk("match_round"), EDIT_ROLES),
    "services:rule_delete": Route(OBJECT, lambda w: {"pk": w.extra["match_round"].pk,
                                                     "rule_pk": w.extra["pair_rule"].pk}, EDIT_ROLES),
    "services:offers": Route(LIST, roles=SVC_ROLES, query={"state": "published"}),
    "services:offer_new": Route(LIST, roles=EDIT_ROLES, control=None),
    "services:offer": Route(OBJECT, _pk("service_offer"), SVC_ROLES),
    # submit on a published offer is refused (no change), so walking it as the insider changes nothing
    "services:offer_act": Route(OBJECT, lambda w: {"pk": w.extra["service_offer"].pk, "act": "submit"}, EDIT_ROLES),
    "services:matches": Route(LIST, roles=SVC_ROLES),
    "services:match_act": Route(OBJECT, lambda w: {"pk": w.extra["service_match"].pk, "act": "accept"}, EDIT_ROLES,
                                control=None),  # provider accounts only
    "services:providers": Route(LIST, roles=SVC_ROLES),
    "services:provider_new": Route(LIST, roles=EDIT_ROLES, control=None),
    "services:provider": Route(OBJECT, _pk("service_provider"), SVC_ROLES),
    "services:provider_decide": Route(OBJECT, lambda w: {"pk": w.extra["service_provider"].pk, "state": "verified"},
                                      (Role.REVIEWER,), Role.REVIEWER),
    "services:requests": Route(LIST, roles=SVC_ROLES),
    "services:stats": Route(LIST, roles=SVC_ROLES, control=None),  # counts per union and provider only
    # the walker's request is not a delivered donation: nobody gets a receipt for it
    "services:receipt": Route(OBJECT, _pk("service_request"), SVC_ROLES, control=None),
    "services:request": Route(OBJECT, _pk("service_request"), SVC_ROLES),
    # sign-off of a submitted request is refused (no change)
    "services:request_act": Route(OBJECT, lambda w: {"pk": w.extra["service_request"].pk, "act": "sign-off"},
                                  EDIT_ROLES),
    # the API (bangfu/services/api*.py); the menu is national reference data
    "api:serviceitem-list": Route(REFERENCE),
    "api:serviceitem-detail": Route(REFERENCE, _pk("service_item")),
    "api:serviceprovider-list": Route(LIST, roles=SVC_ROLES),
    "api:serviceprovider-detail": Route(OBJECT, _pk("service_provider"), SVC_ROLES),
    "api:serviceprovider-decide": Route(OBJECT, _pk("service_provider"), (Role.REVIEWER,), Role.REVIEWER),
    "api:serviceoffer-list": Route(LIST, roles=SVC_ROLES),
    "api:serviceoffer-detail": Route(OBJECT, _pk("service_offer"), SVC_ROLES),
    "api:serviceoffer-submit": Route(OBJECT, _pk("service_offer"), EDIT_ROLES),
    "api:serviceoffer-moderate": Route(OBJECT, _pk("service_offer"), EDIT_ROLES, Role.REVIEWER),
    "api:serviceoffer-withdraw": Route(OBJECT, _pk("service_offer"), EDIT_ROLES),
    "api:servicerequest-list": Route(LIST, roles=SVC_ROLES),
    "api:servicerequest-detail": Route(OBJECT, _pk("service_request"), SVC_ROLES),
    "api:servicerequest-take": Route(OBJECT, _pk("service_request"), EDIT_ROLES),
    "api:servicerequest-decline": Route(OBJECT, _pk("service_request"), EDIT_ROLES),
    "api:servicerequest-fulfil": Route(OBJECT, _pk("service_request"), EDIT_ROLES),
    "api:servicerequest-sign-off": Route(OBJECT, _pk("service_request"), EDIT_ROLES, Role.REVIEWER),
    "api:matchround-list": Route(LIST, roles=SVC_ROLES),
    "api:matchround-detail": Route(OBJECT, _pk("match_round"), SVC_ROLES),
    "api:matchround-solve": Route(OBJECT, _pk("match_round"), EDIT_ROLES),
    "api:pairrule-list": Route(LIST, roles=SVC_ROLES),
    "api:pairrule-detail": Route(OBJECT, _pk("pair_rule"), SVC_ROLES),
    "api:servicematch-list": Route(LIST, roles=SVC_ROLES),
    "api:servicematch-detail": Route(OBJECT, _pk("service_match"), SVC_ROLES),
    "api:servicematch-accept": Route(OBJECT, _pk("service_match"), EDIT_ROLES),
    "api:servicematch-decline": Route(OBJECT, _pk("service_match"), EDIT_ROLES),
    "api:servicematch-deliver": Route(OBJECT, _pk("service_match"), EDIT_ROLES),
    "api:roundrequest-list": Route(LIST, roles=SVC_ROLES),
    "api:roundrequest-detail": Route(OBJECT, _pk("round_request"), SVC_ROLES),
}


def build(w) -> None:
    from bangfu.services.actions.rounds import pair_rule_set, round_create, round_solve
    from bangfu.services.tests.factories import make_item, make_offer, make_provider, make_request

    tree = w.tree
    item = make_item(code="walker-seat")
    provider = make_provider(tree.grassroots, name="丙提供方秘")
    offer = make_offer(provider, item, tree.grassroots, capacity=2, title="丙资源秘")
    request = make_request(w.household, item, preferences="丙需求秘")
    match_round = round_solve(w.insider, round_create(w.insider, tree.grassroots))
    rule = pair_rule_set(w.insider, match_round, request_id=request.pk, offer_id=offer.pk, kind="pin", units=1,
                         reason="丙理由秘")
    from bangfu.services.models import Match, RoundRequest

    w.extra.update(match_round=match_round, pair_rule=rule, service_offer=offer, service_provider=provider,
                   service_request=request, service_match=Match.objects.get(round=match_round, request=request),
                   service_item=item, round_request=RoundRequest.objects.get(round=match_round, request=request))
    w.secret("丙提供方秘", "丙资源秘", "丙需求秘", "丙理由秘")
