"""The worker portal's URLs for the cross-org URL walker (tests/test_url_walker.py).

What an outsider should get:
* a *worker* of the sibling union (bound to a household there): 404 for every portal URL naming an object of the
  grassroots union (its household's request, match, offer) — the object check runs before anything else — and, on
  the pages about themselves (home, archive, menu, …), nothing of the grassroots union. The walker signs its
  personas in with the password only, so these pages answer it with the redirect to the SMS step (a verified
  worker of another household is checked in bangfu/portal/tests/test_pages.py);
* union *staff* of the sibling union: 404 on every worker page (the portal is not theirs) and on the staff page
  that opens an account for a grassroots member.
The walker's personas are made by role with staff accounts, so the worker personas are put in `w._people` here.
"""

from __future__ import annotations

from bangfu.accounts.roles import Role
from tests.test_url_walker import OBJECT, OWN_ACCOUNT, PUBLIC, Route

STAFF_AND_WORKER = (Role.CASE_WORKER, Role.WORKER)


def _pk(name):
    return lambda w: {"pk": w.extra[name].pk}


ROUTES = {
    "portal:login": Route(PUBLIC),
    "portal:login_code": Route(PUBLIC),
    "portal:login_code_resend": Route(PUBLIC),  # POST only
    "portal:logout": Route(PUBLIC),  # POST only
    "portal:activate": Route(PUBLIC),
    "portal:invitation": Route(PUBLIC),
    "portal:home": Route(OWN_ACCOUNT, roles=(Role.WORKER,)),
    "portal:eligibility": Route(OWN_ACCOUNT, roles=(Role.WORKER,)),
    "portal:archive": Route(OWN_ACCOUNT, roles=(Role.WORKER,)),
    "portal:application": Route(OWN_ACCOUNT, roles=(Role.WORKER,)),
    "portal:application_submit": Route(OWN_ACCOUNT, roles=(Role.WORKER,)),
    "portal:menu": Route(OWN_ACCOUNT, roles=(Role.WORKER,)),
    "portal:requests": Route(OWN_ACCOUNT, roles=(Role.WORKER,)),
    "portal:offers": Route(OWN_ACCOUNT, roles=(Role.WORKER,)),
    "portal:matches": Route(OWN_ACCOUNT, roles=(Role.WORKER,)),
    "portal:request": Route(OBJECT, _pk("service_request"), STAFF_AND_WORKER, Role.WORKER),
    "portal:offer": Route(OBJECT, _pk("service_offer"), STAFF_AND_WORKER, Role.WORKER),
    "portal:match_answer": Route(OBJECT, lambda w: {"pk": w.extra["service_match"].pk, "answer": "accept"},
                                 STAFF_AND_WORKER, Role.WORKER),
    # The menu is national reference data: every worker may order any active item, so only staff are outsiders.
    "portal:order": Route(OBJECT, _pk("service_item"), (Role.CASE_WORKER,), Role.WORKER),
    "portal:member_account": Route(OBJECT, lambda w: {"member_pk": w.head.pk}),
}


def build(w) -> None:
    from bangfu.portal.codes import worker_username
    from bangfu.registry.tests.factories import make_household

    sibling_household = make_household(w.tree.sibling, name="乙户主")
    for org, household, phone in ((w.tree.sibling, sibling_household, "13700137000"),
                                  (w.tree.grassroots, w.household, "13600136000")):
        user = w.tree.user(worker_username(phone), org, Role.WORKER, kind="worker")
        user.phone = phone
        user.save(update_fields=["phone"])
        household.members.filter(is_head=True).update(account=user)
        w._people[(Role.WORKER, org.pk)] = user
