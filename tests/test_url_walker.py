"""The cross-org URL walker: every URL pattern of the project, requested as a user of the sibling union.

Every leaf of `bangfu.urls` (pages, API, Django admin) is enumerated by walking the resolver, and
each must be classified in `ROUTES` (by URL name) or by a namespace rule; an unclassified pattern
fails the test with its name, so a new URL cannot slip past unchecked. Kinds:

* PUBLIC       - no sign-in needed (login, language switch, health check, API schema and docs):
                 an anonymous request must not fail (no 5xx) and shows none of the grassroots data.
* OWN_ACCOUNT  - pages about the requesting user: the outsider gets them (200, or a redirect) without
                 any of the grassroots data.
* ADMIN_SITE   - the Django admin: the outsider is sent to the admin login (or gets a 404); a system
                 administrator of the sibling union gets no 5xx and none of the grassroots data, also for
                 the admin pages of the grassroots union's own objects (see ADMIN_OBJECTS).
* OBJECT       - has a pk/org_pk-like kwarg, built from the test tree so that it names an object of the
                 `grassroots` union: each outsider persona (a user of the sibling union with the listed
                 role) gets 404 for GET and POST (405 where the method does not exist) and no data;
                 a user of the grassroots union with the `control` role does not get a 404 (the
                 kwargs name a real object, so the check can fail).
* LIST         - list pages and endpoints: each outsider persona gets 200 (or 404 where the role may
                 not list this at all; at least one persona must get 200) with none of the grassroots
                 data; the `control` persona in the grassroots union does see some of it.
* REFERENCE    - public reference data for any signed-in user (divisions, local standards): 200 and
                 none of the grassroots data.
* COMPUTE      - POST-only computations on facts sent in the body, reading no archive (the eligibility
                 check): GET is 405; each outsider persona POSTs `body(w)` as JSON and gets 200 with none
                 of the grassroots data.

API routes (namespace "api") are requested with the persona's token, pages with its session.

To classify a new URL, add one line to ROUTES: `"app:name": Route(KIND, kwargs=lambda w: {...},
roles=(Role....,), control=Role....)`. `w` is the `World` below; register markers (strings that
only the grassroots union's data contains) for anything you create with `w.secret(...)`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django.utils.regex_helper import normalize
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from bangfu.accounts.roles import Role
from bangfu.core import context

PUBLIC, OWN_ACCOUNT, ADMIN_SITE, OBJECT, LIST, REFERENCE = (
    "public",
    "own-account",
    "admin-site",
    "object",
    "list",
    "reference",
)
COMPUTE = "compute"


@dataclass(frozen=True)
class Route:
    kind: str
    kwargs: Callable | None = None  # World -> URL kwargs
    roles: tuple[str, ...] = (Role.CASE_WORKER,)  # outsider personas: one sibling-union user per role
    control: str | None = Role.CASE_WORKER  # insider role whose answer proves the check can fail; None: none
    query: dict | None = None
    body: Callable | None = None  # COMPUTE: World -> JSON body of the POST


# --- the classification table ------------------------------------------------------------------------

USER_ROLES = (Role.CASE_WORKER, Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.LEADERSHIP)
AUDIT_ROLES = (Role.CASE_WORKER, Role.AUDIT_ADMIN)
FUND_API_ROLES = (Role.CASE_WORKER, Role.REVIEWER, Role.FUND_MANAGER, Role.LEADERSHIP)
CARE_ROLES = (Role.CASE_WORKER, Role.COUNSELLOR)
RIGHTS_ROLES = (Role.CASE_WORKER, Role.FUND_MANAGER, Role.LEADERSHIP)
WORK_ROLES = (Role.CASE_WORKER, Role.HELPER, Role.COUNSELLOR, Role.REVIEWER, Role.FUND_MANAGER, Role.LEADERSHIP)

ROUTES: dict[str, Route] = {
    # core
    "core:home": Route(OWN_ACCOUNT),
    "core:healthz": Route(PUBLIC),
    "set_language": Route(PUBLIC),
    # accounts
    "accounts:login": Route(PUBLIC),
    "accounts:logout": Route(PUBLIC),
    "accounts:password_change": Route(OWN_ACCOUNT),
    "accounts:two_factor": Route(OWN_ACCOUNT),
    "accounts:two_factor_setup": Route(OWN_ACCOUNT),
    "accounts:me": Route(OWN_ACCOUNT),
    "accounts:org_users": Route(OBJECT, lambda w: {"org_pk": w.tree.grassroots.pk}, USER_ROLES, Role.SYSTEM_ADMIN),
    "accounts:user_create": Route(OBJECT, lambda w: {"org_pk": w.tree.grassroots.pk}, USER_ROLES, Role.SYSTEM_ADMIN),
    "accounts:user_detail": Route(OBJECT, lambda w: {"pk": w.member.pk}, USER_ROLES, Role.SYSTEM_ADMIN),
    "accounts:user_roles": Route(OBJECT, lambda w: {"pk": w.member.pk}, USER_ROLES, Role.SYSTEM_ADMIN),
    "accounts:user_reset_password": Route(OBJECT, lambda w: {"pk": w.member.pk}, USER_ROLES, Role.SYSTEM_ADMIN),
    "accounts:user_unlock": Route(OBJECT, lambda w: {"pk": w.member.pk}, USER_ROLES, Role.SECURITY_ADMIN),
    "accounts:user_reset_two_factor": Route(OBJECT, lambda w: {"pk": w.member.pk}, USER_ROLES, Role.SECURITY_ADMIN),
    # orgs
    "orgs:tree": Route(LIST),
    "orgs:detail": Route(OBJECT, lambda w: {"pk": w.tree.grassroots.pk}),
    # audit
    "audit:changes": Route(LIST, roles=AUDIT_ROLES, control=Role.AUDIT_ADMIN),
    "audit:access": Route(LIST, roles=AUDIT_ROLES, control=Role.AUDIT_ADMIN),
    "audit:change_detail": Route(OBJECT, lambda w: {"pk": w.change_entry.pk}, AUDIT_ROLES, Role.AUDIT_ADMIN),
    "audit:access_detail": Route(OBJECT, lambda w: {"pk": w.access_entry.pk}, AUDIT_ROLES, Role.AUDIT_ADMIN),
    # registry (hardship archives)
    "registry:detail": Route(OBJECT, lambda w: {"pk": w.household.pk}),
    "registry:print": Route(OBJECT, lambda w: {"pk": w.household.pk, "form": "card"}),
    "registry:timeline": Route(OBJECT, lambda w: {"pk": w.household.pk}),  # bangfu/registry/views_timeline.py
    # bulk re-classification review (bangfu/registry/urls_classification.py)
    "registry:reclassification-list": Route(LIST, roles=(Role.CASE_WORKER, Role.REVIEWER), control=Role.REVIEWER),
    "registry:reclassification-detail": Route(
        OBJECT, lambda w: {"pk": w.reclassification_run.pk}, (Role.REVIEWER,), Role.REVIEWER
    ),
    # archive entry and editing (bangfu/registry/urls_archive.py)
    "registry:create": Route(LIST),  # the form's union select lists the user's own subtree only
    "registry:household_edit": Route(OBJECT, lambda w: {"pk": w.household.pk}),
    "registry:member_add": Route(OBJECT, lambda w: {"pk": w.household.pk}),
    "registry:member_edit": Route(OBJECT, lambda w: {"pk": w.household.pk, "member_pk": w.head.pk}),
    "registry:member_remove": Route(OBJECT, lambda w: {"pk": w.household.pk, "member_pk": w.head.pk}),
    "registry:causes": Route(OBJECT, lambda w: {"pk": w.household.pk}),
    "registry:incomes": Route(OBJECT, lambda w: {"pk": w.household.pk}),
    "registry:expenses": Route(OBJECT, lambda w: {"pk": w.household.pk}),
    "registry:expense_remove": Route(OBJECT, lambda w: {"pk": w.household.pk, "expense_pk": w.expense.pk}),
    "registry:assets": Route(OBJECT, lambda w: {"pk": w.household.pk}),
    "registry:consents": Route(OBJECT, lambda w: {"pk": w.household.pk}),
    "registry:attachments": Route(OBJECT, lambda w: {"pk": w.household.pk}),
    "registry:attachment_download": Route(
        OBJECT, lambda w: {"pk": w.household.pk, "attachment_pk": w.attachment.pk}
    ),
    "registry:reveal": Route(OBJECT, lambda w: {"pk": w.household.pk}),  # POST only: GET is 405
    "registry:list": Route(LIST),
    # The .xlsx is a zip (markers cannot be read in it): scoping and masking of its rows are tested in
    # bangfu/registry/tests/test_export.py; here the outsider must simply get no error.
    "registry:export": Route(LIST, control=None),
    # lifecycle (bangfu/registry/urls_lifecycle.py, bangfu/registry/api_transitions.py)
    "registry:lifecycle_action": Route(OBJECT, lambda w: {"pk": w.household.pk, "action": "exit"}),
    "registry:notices": Route(LIST),  # w.household has a running public notice
    "api:household-transitions": Route(OBJECT, lambda w: {"household_pk": w.household.pk}),
    # eligibility pre-check on posted facts, saves nothing (bangfu/registry/api_eligibility.py)
    "api:eligibility-check": Route(COMPUTE, body=lambda w: {
        "division": "440106", "on": "2025-07-01", "members": [{"birth_date": "1980-01-01"}],
        "incomes": [{"member": 0, "month": "2025-06", "income_type": "wage", "amount": "900.00"}],
        "main_cause": "3"}),
    # API
    "api:auth-token": Route(PUBLIC),  # POST with credentials; DELETE needs the token (tested in bangfu/api)
    "api:schema": Route(PUBLIC),
    "api:docs": Route(PUBLIC),
    "api:redoc": Route(PUBLIC),
    "api:not-found": Route(PUBLIC, lambda w: {"rest": "no-such-endpoint"}),
    "api:api-root": Route(LIST, control=None),  # links only, no data
    "api:org-list": Route(LIST),
    "api:org-detail": Route(OBJECT, lambda w: {"pk": w.tree.grassroots.pk}),
    "api:division-list": Route(REFERENCE, query={"code_prefix": "4401"}),
    "api:division-detail": Route(REFERENCE, lambda w: {"pk": "440106"}),
    # archive API (bangfu/registry/api/views.py)
    "api:household-list": Route(LIST),
    "api:household-detail": Route(OBJECT, lambda w: {"pk": w.household.pk}),
    "api:member-list": Route(LIST),
    "api:member-detail": Route(OBJECT, lambda w: {"pk": w.head.pk}),
    "api:attachment-list": Route(LIST),
    "api:attachment-detail": Route(OBJECT, lambda w: {"pk": w.attachment.pk}),
    "api:localstandard-list": Route(REFERENCE),
    "api:localstandard-detail": Route(REFERENCE, lambda w: {"pk": w.standard.pk}),
    "api:localstandard-in-force": Route(
        REFERENCE, query={"division": "440106", "kind": "living_line", "on": "2025-07-01"}
    ),
    # funds: payments, approvals, public notice, rules of paying (bangfu/funds/urls_payments.py). w.payment is an
    # approved payment of the grassroots union in its public notice; w.approval_rule / w.fund_policy its rules.
    "funds:payments": Route(LIST, roles=(Role.CASE_WORKER, Role.FUND_MANAGER)),
    # Without ?household= the page asks for an archive number (nothing of any union); with another union's
    # household it is a 404 (bangfu/funds/tests/test_payments_pages.py).
    "funds:payment_new": Route(LIST, control=None),
    "funds:payment_detail": Route(OBJECT, lambda w: {"pk": w.payment.pk},
                                  (Role.CASE_WORKER, Role.REVIEWER, Role.FUND_MANAGER)),
    "funds:payment_approve": Route(OBJECT, lambda w: {"pk": w.payment.pk},
                                   (Role.REVIEWER, Role.FUND_MANAGER, Role.LEADERSHIP), Role.REVIEWER),
    "funds:payment_submit": Route(OBJECT, lambda w: {"pk": w.payment.pk}, (Role.CASE_WORKER, Role.FUND_MANAGER)),
    "funds:payment_cancel": Route(OBJECT, lambda w: {"pk": w.payment.pk}, (Role.CASE_WORKER, Role.FUND_MANAGER)),
    # Nothing of the grassroots union waits for a decision in the world (w.payment is approved): no control.
    "funds:approvals_inbox": Route(LIST, roles=(Role.REVIEWER, Role.FUND_MANAGER, Role.LEADERSHIP), control=None),
    "funds:payment_notices": Route(LIST, roles=(Role.CASE_WORKER, Role.FUND_MANAGER)),
    "funds:rules": Route(LIST, roles=(Role.CASE_WORKER, Role.FUND_MANAGER)),
    # funds: bank batches (bangfu/funds/urls_batches.py). w.batch is an open batch of the grassroots union;
    # the new-batch page lists w.payment (approved, in its public notice) to the grassroots fund manager.
    "funds:batches": Route(LIST, roles=(Role.CASE_WORKER, Role.FUND_MANAGER)),
    "funds:batch_new": Route(LIST, roles=(Role.CASE_WORKER, Role.FUND_MANAGER), control=Role.FUND_MANAGER),
    "funds:batch_detail": Route(OBJECT, lambda w: {"pk": w.batch.pk}, (Role.CASE_WORKER, Role.FUND_MANAGER)),
    "funds:batch_remove": Route(OBJECT, lambda w: {"pk": w.batch.pk}, (Role.FUND_MANAGER,), Role.FUND_MANAGER),
    "funds:batch_export": Route(OBJECT, lambda w: {"pk": w.batch.pk}, (Role.CASE_WORKER, Role.FUND_MANAGER),
                                Role.FUND_MANAGER),
    "funds:batch_reconcile": Route(OBJECT, lambda w: {"pk": w.batch.pk}, (Role.FUND_MANAGER,), Role.FUND_MANAGER),
    "funds:batch_roster": Route(OBJECT, lambda w: {"pk": w.batch.pk}, (Role.FUND_MANAGER,), Role.FUND_MANAGER),
    # funds: campaigns (bangfu/funds/urls_campaigns.py). w.campaign is a school-aid campaign of the grassroots union.
    "funds:campaigns": Route(LIST),
    "funds:campaign_new": Route(LIST),  # the paying-union select lists the user's own subtree only
    "funds:campaign_detail": Route(OBJECT, lambda w: {"pk": w.campaign.pk}, (Role.CASE_WORKER, Role.REVIEWER)),
    "funds:campaign_edit": Route(OBJECT, lambda w: {"pk": w.campaign.pk}),
    "funds:campaign_propose": Route(OBJECT, lambda w: {"pk": w.campaign.pk}),
    "funds:campaign_create_payments": Route(OBJECT, lambda w: {"pk": w.campaign.pk}),
    "funds:campaign_approve": Route(OBJECT, lambda w: {"pk": w.campaign.pk}, (Role.CASE_WORKER, Role.REVIEWER),
                                    Role.REVIEWER),
    "funds:campaign_batch": Route(OBJECT, lambda w: {"pk": w.campaign.pk}, (Role.CASE_WORKER, Role.FUND_MANAGER),
                                  Role.FUND_MANAGER),
    # funds overview, budgets and allocations, ledger (bangfu/funds/urls_budgets.py)
    "funds:home": Route(LIST),
    "funds:budgets": Route(LIST),
    "funds:budget_new": Route(LIST, roles=(Role.FUND_MANAGER,), control=Role.FUND_MANAGER),
    # The grassroots union has no lower unions, so its page shows nothing of it; a `from` outside the
    # scope is a 404 (bangfu/funds/tests/test_budgets.py).
    "funds:allocation_new": Route(LIST, roles=(Role.FUND_MANAGER,), control=None),
    "funds:ledger": Route(LIST),
    "funds:transaction_detail": Route(OBJECT, lambda w: {"pk": w.ledger_transaction.pk}),
    "funds:transaction_reverse": Route(OBJECT, lambda w: {"pk": w.ledger_transaction.pk},
                                       (Role.CASE_WORKER, Role.FUND_MANAGER), Role.FUND_MANAGER),
    # fund reports (bangfu/funds/urls_reports.py): the user's own union by default; `?org=` of another union
    # is a 404 and the .xlsx exports are checked in bangfu/funds/tests/test_reports*.py
    "funds:reports": Route(LIST, roles=(Role.CASE_WORKER, Role.FUND_MANAGER)),
    "funds:report_households": Route(LIST, roles=(Role.CASE_WORKER, Role.FUND_MANAGER)),
    "funds:report_account": Route(LIST, roles=(Role.CASE_WORKER, Role.FUND_MANAGER)),
    # funds API (bangfu/funds/api/)
    "api:fundsource-list": Route(REFERENCE),  # the platform's sources: the same list for every union
    "api:fundbudget-list": Route(LIST, roles=FUND_API_ROLES),
    "api:fundbudget-detail": Route(OBJECT, lambda w: {"pk": w.budget.pk}, FUND_API_ROLES),
    "api:fundallocation-list": Route(LIST, roles=FUND_API_ROLES),
    "api:fundallocation-detail": Route(OBJECT, lambda w: {"pk": w.allocation.pk}, FUND_API_ROLES),
    "api:fundbalance-list": Route(LIST, roles=FUND_API_ROLES),
    "api:fundtransaction-list": Route(LIST, roles=FUND_API_ROLES),
    "api:fundtransaction-detail": Route(OBJECT, lambda w: {"pk": w.ledger_transaction.pk}, FUND_API_ROLES),
    "api:fundtransaction-reverse": Route(OBJECT, lambda w: {"pk": w.ledger_transaction.pk}, FUND_API_ROLES,
                                         Role.FUND_MANAGER),
    "api:payment-list": Route(LIST, roles=FUND_API_ROLES),
    "api:payment-detail": Route(OBJECT, lambda w: {"pk": w.payment.pk}, FUND_API_ROLES),
    "api:payment-submit": Route(OBJECT, lambda w: {"pk": w.payment.pk}, FUND_API_ROLES),
    "api:payment-approve": Route(OBJECT, lambda w: {"pk": w.payment.pk}, FUND_API_ROLES, Role.REVIEWER),
    "api:payment-cancel": Route(OBJECT, lambda w: {"pk": w.payment.pk}, FUND_API_ROLES, Role.FUND_MANAGER),
    "api:payment-approvals": Route(OBJECT, lambda w: {"pk": w.payment.pk}, FUND_API_ROLES),
    "api:paymentbatch-list": Route(LIST, roles=FUND_API_ROLES),
    "api:paymentbatch-detail": Route(OBJECT, lambda w: {"pk": w.batch.pk}, FUND_API_ROLES, Role.FUND_MANAGER),
    "api:paymentbatch-export": Route(OBJECT, lambda w: {"pk": w.batch.pk}, FUND_API_ROLES, Role.FUND_MANAGER),
    "api:paymentbatch-reconcile": Route(OBJECT, lambda w: {"pk": w.batch.pk}, FUND_API_ROLES, Role.FUND_MANAGER),
    # Reports of the user's own union by default; another union's ?org= is a 404 (funds/tests/test_api_reports.py).
    "api:fundreport-usage": Route(LIST, roles=FUND_API_ROLES),
    "api:fundreport-account": Route(LIST, roles=FUND_API_ROLES),
    "api:fundreport-households": Route(LIST, roles=FUND_API_ROLES, control=None),  # the world pays nobody yet
    # work lists (bangfu/worklist/): the user's own work, scoped section by section. w.household (active, no
    # helper) is on the grassroots case worker's "households without a helper"; the API gives counts only.
    "worklist:home": Route(LIST, roles=WORK_ROLES),
    "worklist:list": Route(LIST, lambda w: {"section": "unassigned"}, roles=(Role.CASE_WORKER, Role.REVIEWER)),
    "api:my-work-list": Route(LIST, roles=WORK_ROLES, control=None),
    # rights cases (bangfu/rights/): w.rights_case is an open case of w.household; close/reopen are POST only
    "rights:list": Route(LIST, roles=RIGHTS_ROLES),
    "rights:household": Route(OBJECT, lambda w: {"household_pk": w.household.pk}, RIGHTS_ROLES),
    "rights:detail": Route(OBJECT, lambda w: {"pk": w.rights_case.pk}, RIGHTS_ROLES),
    "rights:edit": Route(OBJECT, lambda w: {"pk": w.rights_case.pk}),
    "rights:close": Route(OBJECT, lambda w: {"pk": w.rights_case.pk}),
    "rights:reopen": Route(OBJECT, lambda w: {"pk": w.rights_case.pk}),
    "api:rightscase-list": Route(LIST, roles=RIGHTS_ROLES),
    "api:rightscase-detail": Route(OBJECT, lambda w: {"pk": w.rights_case.pk}, RIGHTS_ROLES),
    "api:rightscase-close": Route(OBJECT, lambda w: {"pk": w.rights_case.pk}),
    "api:rightscase-reopen": Route(OBJECT, lambda w: {"pk": w.rights_case.pk}),
    # notifications (bangfu/notifications/): personal. w.notice is a notice to the grassroots case worker (the
    # control persona), so the inbox and the list prove they show the recipient's own notices and nobody else's.
    "notifications:inbox": Route(LIST),
    "notifications:mark_all_read": Route(OWN_ACCOUNT),  # POST marks the user's own; GET redirects to the inbox
    "notifications:preferences": Route(OWN_ACCOUNT),  # idem
    "notifications:open": Route(OBJECT, lambda w: {"pk": w.notice.pk}),  # POST only
    "notifications:mark_read": Route(OBJECT, lambda w: {"pk": w.notice.pk}),  # POST only
    "api:notification-list": Route(LIST),
    "api:notification-detail": Route(OBJECT, lambda w: {"pk": w.notice.pk}),
    "api:notification-mark-read": Route(OBJECT, lambda w: {"pk": w.notice.pk}),
    "api:notification-preferences": Route(OWN_ACCOUNT),
    # POST only, on the caller's own notices and nothing else: the outsider's POST marks its own (none) read.
    "api:notification-mark-all-read": Route(COMPUTE, body=lambda w: {}),
    # responsible helpers and visits (bangfu/helpers/): w.household has no helper (it is on "without a helper");
    # w.helped_household has w.member (a helper of the grassroots union) with an overdue visit and a photo.
    "helpers:workload": Route(LIST),  # lists w.member with the counts
    "helpers:mine": Route(OWN_ACCOUNT),  # redirects to the user's own helper page
    "helpers:helper": Route(OBJECT, lambda w: {"pk": w.member.pk}),
    "helpers:without": Route(LIST),
    "helpers:overdue": Route(LIST),
    "helpers:frequencies": Route(LIST, roles=(Role.CASE_WORKER, Role.REVIEWER)),  # w.visit_frequency in force
    "helpers:frequency_remove": Route(OBJECT, lambda w: {"pk": w.visit_frequency.pk}, (Role.CASE_WORKER,
                                      Role.REVIEWER), Role.REVIEWER),  # POST only: GET is 405
    "helpers:assign": Route(OBJECT, lambda w: {"pk": w.household.pk}),
    "helpers:hand_over": Route(OBJECT, lambda w: {"pk": w.helped_household.pk}),
    "helpers:end": Route(OBJECT, lambda w: {"pk": w.helped_household.pk}),
    "helpers:visits": Route(OBJECT, lambda w: {"pk": w.helped_household.pk}),
    "helpers:visit_new": Route(OBJECT, lambda w: {"pk": w.helped_household.pk}),
    "helpers:visit_photo": Route(OBJECT, lambda w: {"pk": w.visit.pk}),
    "api:helperassignment-list": Route(LIST),
    "api:helperassignment-detail": Route(OBJECT, lambda w: {"pk": w.helper_assignment.pk}),
    "api:helperassignment-hand-over": Route(OBJECT, lambda w: {"pk": w.helper_assignment.pk}),
    "api:helperassignment-end": Route(OBJECT, lambda w: {"pk": w.helper_assignment.pk}),
    "api:visit-list": Route(LIST),
    "api:visit-detail": Route(OBJECT, lambda w: {"pk": w.visit.pk}),
    # mental-health care (bangfu/care/): counsellors only; a case worker gets 404 (or an empty API list), a
    # counsellor of the sibling union sees nothing of the grassroots union. w.screening (PHQ-9, item 9 positive)
    # opened w.crisis_case; w.household also has w.care_plan, w.counselling_session and is in w.group_activity.
    "care:crises": Route(LIST, roles=CARE_ROLES, control=Role.COUNSELLOR),
    "care:crisis_detail": Route(OBJECT, lambda w: {"pk": w.crisis_case.pk}, CARE_ROLES, Role.COUNSELLOR),
    "care:crisis_acknowledge": Route(OBJECT, lambda w: {"pk": w.crisis_case.pk}, CARE_ROLES, Role.COUNSELLOR),
    "care:crisis_close": Route(OBJECT, lambda w: {"pk": w.crisis_case.pk}, CARE_ROLES, Role.COUNSELLOR),
    "care:household": Route(OBJECT, lambda w: {"pk": w.household.pk}, CARE_ROLES, Role.COUNSELLOR),
    "care:plan_edit": Route(OBJECT, lambda w: {"pk": w.household.pk}, CARE_ROLES, Role.COUNSELLOR),
    "care:plan_close": Route(OBJECT, lambda w: {"pk": w.household.pk}, CARE_ROLES, Role.COUNSELLOR),
    "care:screening_new": Route(OBJECT, lambda w: {"pk": w.household.pk}, CARE_ROLES, Role.COUNSELLOR),
    "care:session_new": Route(OBJECT, lambda w: {"pk": w.household.pk}, CARE_ROLES, Role.COUNSELLOR),
    "care:screening_detail": Route(OBJECT, lambda w: {"pk": w.screening.pk}, CARE_ROLES, Role.COUNSELLOR),
    "care:sessions": Route(LIST, roles=CARE_ROLES, control=Role.COUNSELLOR),
    "care:activities": Route(LIST, roles=CARE_ROLES, control=Role.COUNSELLOR),
    "care:activity_new": Route(LIST, roles=CARE_ROLES, control=Role.COUNSELLOR),  # union select: own subtree
    "care:activity_detail": Route(OBJECT, lambda w: {"pk": w.group_activity.pk}, CARE_ROLES, Role.COUNSELLOR),
    "care:activity_edit": Route(OBJECT, lambda w: {"pk": w.group_activity.pk}, CARE_ROLES, Role.COUNSELLOR),
    "api:careplan-list": Route(LIST, roles=CARE_ROLES, control=Role.COUNSELLOR),
    "api:careplan-detail": Route(OBJECT, lambda w: {"pk": w.care_plan.pk}, CARE_ROLES, Role.COUNSELLOR),
    "api:careplan-close": Route(OBJECT, lambda w: {"pk": w.care_plan.pk}, CARE_ROLES, Role.COUNSELLOR),
    "api:screening-list": Route(LIST, roles=CARE_ROLES, control=Role.COUNSELLOR),
    "api:screening-detail": Route(OBJECT, lambda w: {"pk": w.screening.pk}, CARE_ROLES, Role.COUNSELLOR),
    "api:crisiscase-list": Route(LIST, roles=CARE_ROLES, control=Role.COUNSELLOR),
    "api:crisiscase-detail": Route(OBJECT, lambda w: {"pk": w.crisis_case.pk}, CARE_ROLES, Role.COUNSELLOR),
    "api:crisiscase-acknowledge": Route(OBJECT, lambda w: {"pk": w.crisis_case.pk}, CARE_ROLES, Role.COUNSELLOR),
    "api:crisiscase-close": Route(OBJECT, lambda w: {"pk": w.crisis_case.pk}, CARE_ROLES, Role.COUNSELLOR),
    "api:counsellingsession-list": Route(LIST, roles=CARE_ROLES, control=Role.COUNSELLOR),
    "api:counsellingsession-detail": Route(OBJECT, lambda w: {"pk": w.counselling_session.pk}, CARE_ROLES,
                                           Role.COUNSELLOR),
    # household plans (bangfu/plans/): w.plan, w.measure and w.recommendation (pending) of w.household; the rules
    # are national reference data (w.rule), read by case workers and edited by system administrators only.
    "plans:household": Route(OBJECT, lambda w: {"pk": w.household.pk}, (Role.CASE_WORKER, Role.HELPER)),
    "plans:plan_edit": Route(OBJECT, lambda w: {"pk": w.household.pk}),
    "plans:propose": Route(OBJECT, lambda w: {"pk": w.household.pk}),  # POST only: GET is 405
    "plans:measure_add": Route(OBJECT, lambda w: {"pk": w.household.pk}),
    "plans:measure_detail": Route(OBJECT, lambda w: {"pk": w.measure.pk}, (Role.CASE_WORKER, Role.HELPER)),
    "plans:recommendation": Route(OBJECT, lambda w: {"pk": w.recommendation.pk}),
    "plans:rules": Route(REFERENCE, roles=(Role.CASE_WORKER, Role.SYSTEM_ADMIN)),  # counts of the own subtree only
    "plans:rule_new": Route(REFERENCE, roles=(Role.SYSTEM_ADMIN,)),
    "plans:rule_detail": Route(REFERENCE, lambda w: {"code": w.rule.code}, (Role.CASE_WORKER, Role.SYSTEM_ADMIN)),
    "plans:rule_edit": Route(REFERENCE, lambda w: {"code": w.rule.code}, (Role.SYSTEM_ADMIN,)),
    "api:plan-list": Route(LIST),
    "api:plan-detail": Route(OBJECT, lambda w: {"pk": w.plan.pk}),
    "api:plan-propose": Route(OBJECT, lambda w: {"pk": w.plan.pk}),
    "api:measure-list": Route(LIST, roles=(Role.CASE_WORKER, Role.HELPER)),
    "api:measure-detail": Route(OBJECT, lambda w: {"pk": w.measure.pk}, (Role.CASE_WORKER, Role.HELPER)),
    "api:measure-state": Route(OBJECT, lambda w: {"pk": w.measure.pk}, (Role.CASE_WORKER, Role.HELPER)),
    "api:recommendation-list": Route(LIST),
    "api:recommendation-detail": Route(OBJECT, lambda w: {"pk": w.recommendation.pk}),
    "api:recommendation-accept": Route(OBJECT, lambda w: {"pk": w.recommendation.pk}),
    "api:recommendation-reject": Route(OBJECT, lambda w: {"pk": w.recommendation.pk}),
    # Django admin: every other admin URL is ADMIN_SITE by the namespace rule below.
    "admin:login": Route(PUBLIC),
    "admin:logout": Route(PUBLIC),
    # treebeard's tree admin serves Django's JavaScript translation catalogue (no data) outside admin_view.
    "admin:javascript-catalog": Route(PUBLIC),
}

# Apps that keep their walker additions beside their own tests: `bangfu/<app>/tests/walker.py` defines
# ROUTES (merged here), optionally ADMIN_OBJECTS, and `build(w)`, which creates the app's objects of the
# grassroots union in `w.extra[...]` and registers their markers with `w.secret(...)`.
WALKER_APPS = ("imports", "econcheck", "crosscheck", "monitoring", "services", "portal", "stats")


def _walker_modules():
    import importlib

    for app in WALKER_APPS:
        try:
            yield importlib.import_module(f"bangfu.{app}.tests.walker")
        except ModuleNotFoundError as error:
            if error.name != f"bangfu.{app}.tests.walker":
                raise


for _module in _walker_modules():
    ROUTES.update(getattr(_module, "ROUTES", {}))

# Namespaces whose every URL has one kind (unless named in ROUTES): the admin grows with each model.
NAMESPACE_RULES = {"admin": Route(ADMIN_SITE)}

# Admin object URLs name an object of the grassroots union where the model has one.
ADMIN_OBJECTS: dict[str, Callable] = {
    "orgs.org": lambda w: w.tree.grassroots.pk,
    "accounts.user": lambda w: w.member.pk,
    "accounts.userrole": lambda w: w.member.roles.first().pk,
    "audit.changelogentry": lambda w: w.change_entry.pk,
    "audit.accesslogentry": lambda w: w.access_entry.pk,
    "orgs.localstandard": lambda w: w.standard.pk,
    "orgs.division": lambda w: "440106",
    "otp_totp.totpdevice": lambda w: w.member_device.pk,
    "otp_static.staticdevice": lambda w: w.member_static_device.pk,
    "registry.household": lambda w: w.household.pk,
}
for _module in _walker_modules():
    ADMIN_OBJECTS.update(getattr(_module, "ADMIN_OBJECTS", {}))


# --- the test world ------------------------------------------------------------------------------------


@dataclass
class World:
    """The test tree with data of the `grassroots` union that nobody in the sibling union may see."""

    tree: Any
    outsider: Any  # case worker of the sibling union (conftest persona)
    insider: Any  # case worker of the grassroots union (conftest persona)
    markers: list[str] = field(default_factory=list)  # strings only the grassroots union's data contains
    # Objects of the grassroots union (add yours in `world` below and register their markers):
    member: Any = None  # a user of the grassroots union, with devices and audit trail
    member_device: Any = None
    member_static_device: Any = None
    change_entry: Any = None
    access_entry: Any = None
    standard: Any = None  # reference data (a living line of 天河区)
    household: Any = None  # an active household archive of the grassroots union (registry)
    head: Any = None  # its head (registry.Member)
    expense: Any = None  # one expense and one evidence file of that household
    attachment: Any = None
    # Funds of the grassroots union (bangfu.funds): it received a budget, got an allocation from the county,
    # paid w.household (approved, funds reserved); a bank batch, a campaign, its rules and approval chain.
    budget: Any = None
    allocation: Any = None
    payment: Any = None
    batch: Any = None
    campaign: Any = None
    fund_policy: Any = None
    approval_rule: Any = None
    ledger_transaction: Any = None
    rights_case: Any = None  # an open rights case of w.household (bangfu.rights)
    notice: Any = None  # a notification to the grassroots case worker (bangfu.notifications)
    # bangfu.helpers: a second active household with w.member as its helper, a visit (with a photo) long overdue
    # again, and a visit frequency the grassroots union set
    helped_household: Any = None
    helper_assignment: Any = None
    visit: Any = None
    visit_frequency: Any = None
    # bangfu.care (counsellors only): a screening of w.household with item 9 positive and the crisis case it
    # opened, the household's care plan, a counselling session and a group activity it took part in
    screening: Any = None
    crisis_case: Any = None
    care_plan: Any = None
    counselling_session: Any = None
    group_activity: Any = None
    # bangfu.plans: the plan of w.household, a measure of it, a pending proposal; a recommendation rule
    plan: Any = None
    measure: Any = None
    recommendation: Any = None
    rule: Any = None
    extra: dict = field(default_factory=dict)  # objects of the WALKER_APPS, by name (their walker.build)
    _people: dict = field(default_factory=dict)

    def secret(self, *values: str) -> None:
        self.markers.extend(v for v in values if v)

    def person(self, role: str, org) -> object:
        """A user of `org` holding `role` (the conftest personas for a case worker)."""
        if role == Role.CASE_WORKER and org == self.tree.sibling:
            return self.outsider
        if role == Role.CASE_WORKER and org == self.tree.grassroots:
            return self.insider
        key = (role, org.pk)
        if key not in self._people:
            # Unions other than the two grassroots ones (e.g. the county's fund manager) by their code.
            prefix = {self.tree.grassroots: "in", self.tree.sibling: "out"}.get(org, org.code)
            self._people[key] = self.tree.user(f"walk_{prefix}_{role}", org, role)
        return self._people[key]

    def leaked(self, response) -> list[str]:
        content = b"".join(response.streaming_content) if response.streaming else response.content
        body = content.decode("utf-8", "replace") + " " + response.get("Location", "")
        return [m for m in self.markers if m in body or json.dumps(m)[1:-1] in body]


@pytest.fixture
def world(tree, outsider, grassroots_cadre):
    from bangfu.audit.access import log_access
    from bangfu.audit.models import AccessLogEntry, ChangeLogEntry
    from bangfu.orgs.models import LocalStandard

    w = World(tree=tree, outsider=outsider, insider=grassroots_cadre)
    w.secret(tree.grassroots.name, tree.grassroots.code)
    # Work done in the grassroots union, so that its audit trail carries its data.
    with context.acting(
        user_id=grassroots_cadre.pk,
        username=grassroots_cadre.username,
        org_id=tree.grassroots.pk,
        source="request",
        request_id="walker",
    ):
        w.member = tree.user("grsecret_member", tree.grassroots, Role.HELPER)
        w.member.full_name = "甲会员秘密"
        w.member.save(update_fields=["full_name"])
        log_access(None, AccessLogEntry.Action.VIEW, obj=w.member, user=w.member)
    w.secret(w.member.username, w.member.full_name)
    w.member_device = TOTPDevice.objects.create(user=w.member, name="phone", confirmed=True)
    w.member_static_device = StaticDevice.objects.create(user=w.member, name="backup", confirmed=True)
    w.change_entry = ChangeLogEntry.objects.filter(org=tree.grassroots).latest("pk")
    w.access_entry = AccessLogEntry.objects.filter(org=tree.grassroots).latest("pk")
    w.standard = LocalStandard.objects.create(
        division_id="440106",
        kind="living_line",
        amount=Decimal("1100"),
        effective_from=date(2025, 1, 1),
        source="walker",
        illustrative=True,
    )
    from bangfu.registry.tests.factories import make_household

    w.household = make_household(tree.grassroots, name="甲户主秘", monthly_wage=Decimal("900"))
    from bangfu.registry.models import ReclassificationRow, ReclassificationRun

    w.reclassification_run = ReclassificationRun.objects.create(trigger="manual", evaluated_on=date(2026, 1, 1))
    ReclassificationRow.objects.create(run=w.reclassification_run, household=w.household, new_category="A_dibao")
    w.secret(w.household.archive_number, "甲户主秘", w.household.members.get(is_head=True).identity_masked)
    from bangfu.registry.tests.factories import add_expense, make_attachment

    w.head = w.household.members.get(is_head=True)
    w.expense = add_expense(w.household, "rigid", "medical", "321.00")
    w.attachment = make_attachment(w.household, name="甲证据秘.png")
    w.secret("甲证据秘")
    from bangfu.registry.models import PublicNotice

    PublicNotice.objects.create(household=w.household, starts_on=date(2025, 1, 1), ends_on=date(2025, 1, 8),
                                place="workplace", name_masked="甲*")
    _fund_world(w)
    _rights_world(w)
    _helpers_world(w)
    _care_world(w)
    _plans_world(w)
    for module in _walker_modules():
        module.build(w)
    return w


def _plans_world(w) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from bangfu.plans.engine import propose
    from bangfu.plans.models import Recommendation
    from bangfu.plans.services.measures import measure_add
    from bangfu.plans.services.plans import plan_update
    from bangfu.plans.tests.factories import make_rule, shipped_rules

    shipped_rules()
    w.rule = make_rule("walker_rule")
    w.plan = plan_update(w.household, w.insider, situation="甲情况秘", needs="甲需要秘")
    w.measure = measure_add(w.household, w.insider, function="service", kind="job_information", description="甲措施秘",
                            owner=w.insider, due_on=timezone.localdate() + timedelta(days=10))
    w.recommendation = propose(w.household, w.insider)[0]
    Recommendation.objects.filter(pk=w.recommendation.pk).update(description="甲建议秘")
    w.secret("甲情况秘", "甲需要秘", "甲措施秘", "甲建议秘")


def _fund_world(w) -> None:
    from bangfu.funds.models import ApprovalRule, Campaign, FundPolicy, PaymentBatch
    from bangfu.funds.tests.factories import approve_all, fund, give, pay, set_line, source

    tree = w.tree
    set_line("440106")
    household = w.household
    household.bank_name, household.bank_account = "工商银行", "6222020200197531864"
    household.bank_account_last4, household.bank_account_holder = "1864", "甲户主秘"
    household.save()
    county_manager = w.person(Role.FUND_MANAGER, tree.county)
    fund(tree.county, 50_000, county_manager)
    w.allocation = give(tree.county, tree.grassroots, 20_000, county_manager)
    w.budget = fund(tree.grassroots, 1000, w.person(Role.FUND_MANAGER, tree.grassroots), document_ref="甲文号秘")
    people = {role: w.person(role, tree.grassroots) for role in (Role.REVIEWER, Role.FUND_MANAGER, Role.LEADERSHIP)}
    w.payment = approve_all(pay(tree.grassroots, household, "456.78", w.insider, item="甲项目秘"), people)
    w.ledger_transaction = w.budget.transaction
    w.batch = PaymentBatch.objects.create(org=tree.grassroots, number="B-甲批次秘",
                                          created_by=people[Role.FUND_MANAGER])
    w.campaign = Campaign.objects.create(org=tree.grassroots, kind="school", name="甲金秋秘", year=date.today().year,
                                         period=str(date.today().year), source=source(), created_by=w.insider)
    w.fund_policy = FundPolicy.objects.create(org=tree.grassroots, effective_from=date(2020, 1, 1),
                                              source="甲规则秘")
    w.approval_rule = ApprovalRule.objects.create(org=tree.grassroots, order=9, role=Role.REVIEWER, label="甲步骤秘")
    w.secret("甲文号秘", "甲项目秘", "B-甲批次秘", "甲金秋秘", "甲规则秘", "甲步骤秘", "6222020200197531864")


def _rights_world(w) -> None:
    from bangfu.notifications.services import notify
    from bangfu.rights.services import open_case

    with context.acting(user_id=w.insider.pk, username=w.insider.username, org_id=w.tree.grassroots.pk):
        w.rights_case = open_case(w.insider, w.household, kind="legal_aid", topic="wages", summary="甲维权秘",
                                  opened_on=date.today(), counterpart="甲雇主秘")
    w.notice = notify([w.insider], kind="walker", title="甲通知秘", body="甲通知正文秘",
                      link=f"/rights/{w.rights_case.pk}/")[0]
    w.secret("甲维权秘", "甲雇主秘", "甲通知秘", "甲通知正文秘")


def _helpers_world(w) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from bangfu.helpers.services import assign_helper, record_visit, set_visit_frequency
    from bangfu.registry.tests.factories import PNG_BYTES, make_household

    with context.acting(user_id=w.insider.pk, username=w.insider.username, org_id=w.tree.grassroots.pk):
        w.visit_frequency = set_visit_frequency(w.tree.grassroots, helper_kind="branch_cadre", label="甲频次秘",
                                                interval_days=30, actor=w.insider)
        w.helped_household = make_household(w.tree.grassroots, name="甲帮扶户秘", applied_on=date(2025, 1, 1))
        w.helper_assignment = assign_helper(w.helped_household, mode="pairing", helper=w.member,
                                            helper_kind="branch_cadre", starts_on=date(2025, 1, 2), actor=w.insider)
        w.visit = record_visit(w.helped_household, visited_on=date(2025, 2, 1), visitors="甲走访人秘",
                               findings="甲走访秘", photo=SimpleUploadedFile("visit.png", PNG_BYTES), actor=w.insider)
    w.secret(w.helped_household.archive_number, "甲频次秘", "甲走访人秘", "甲走访秘")


def _care_world(w) -> None:
    from django.utils import timezone

    from bangfu.care.services import open_care_plan, record_activity, record_screening, record_session

    counsellor = w.person(Role.COUNSELLOR, w.tree.grassroots)
    today = timezone.localdate()
    with context.acting(user_id=counsellor.pk, username=counsellor.username, org_id=w.tree.grassroots.pk):
        w.screening = record_screening(w.household, w.head, "phq9", [1, 1, 0, 1, 0, 0, 1, 0, 1], today, counsellor,
                                       "甲筛查备注秘")
        w.crisis_case = w.screening.crisis_case
        w.care_plan = open_care_plan(w.household, counsellor, opened_on=today, goals="甲心理目标秘")
        w.counselling_session = record_session(w.household, counsellor, kind="counselling", held_on=today,
                                               notes="甲谈话秘")
        w.group_activity = record_activity(w.tree.grassroots, counsellor, kind="lecture", title="甲讲座秘",
                                           held_on=today, participant_count=5, households=[w.household])
    w.secret("甲筛查备注秘", "甲心理目标秘", "甲谈话秘", "甲讲座秘")


# --- enumerating the URL patterns ---------------------------------------------------------------------


@dataclass(frozen=True)
class Leaf:
    name: str | None  # "namespace:name"
    namespace: str
    chain: tuple  # resolvers and the pattern, outermost first

    @property
    def pattern(self) -> URLPattern:
        return self.chain[-1]

    @property
    def label(self) -> str:
        route = "".join(str(p.pattern) for p in self.chain)
        return f"{self.name or '(unnamed)'} [{route}]"


def leaves(patterns=None, chain=(), namespaces=()):
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            ns = (*namespaces, entry.namespace) if entry.namespace else namespaces
            yield from leaves(entry.url_patterns, (*chain, entry), ns)
        else:
            name = ":".join((*namespaces, entry.name)) if entry.name else None
            yield Leaf(name=name, namespace=":".join(namespaces), chain=(*chain, entry))


def classify(leaf: Leaf) -> Route | None:
    if leaf.name in ROUTES:
        return ROUTES[leaf.name]
    top = leaf.namespace.split(":")[0]
    return NAMESPACE_RULES.get(top)


def build_path(leaf: Leaf, kwargs: dict) -> str:
    """The URL of this very pattern with `kwargs` (Django's reverse() picks a pattern by name only)."""
    regex, converters = "", {}
    for part in leaf.chain:
        piece = part.pattern.regex.pattern
        regex += piece[1:] if piece.startswith("^") else piece
        converters.update(getattr(part.pattern, "converters", {}))
    for template, params in normalize(regex):
        if set(params) <= set(kwargs):
            values = {k: converters[k].to_url(kwargs[k]) if k in converters else str(kwargs[k]) for k in params}
            return "/" + template % values
    raise AssertionError(f"{leaf.label}: no kwargs for its parameters (have {sorted(kwargs)})")


def admin_kwargs(leaf: Leaf, w: World) -> dict:
    """Kwargs for an admin URL: the grassroots object of the URL's model where there is one."""
    model_label = None
    name = (leaf.pattern.name or "").replace("admin:", "")
    for model in apps.get_models():
        prefix = f"{model._meta.app_label}_{model._meta.model_name}_"
        if name.startswith(prefix):
            model_label = model._meta.label_lower
    route = "".join(str(p.pattern) for p in leaf.chain)
    if model_label is None:  # unnamed admin URLs: the model from the path /admin/<app>/<model>/
        parts = route.split("/")
        if len(parts) > 2 and parts[0] == "admin":
            try:
                model_label = apps.get_model(parts[1], parts[2])._meta.label_lower
            except (LookupError, ValueError):
                model_label = None
    obj = ADMIN_OBJECTS[model_label](w) if model_label in ADMIN_OBJECTS else 1
    return {
        "object_id": obj,
        "id": obj,
        "pk": obj,
        "parent_id": obj,
        "content_type_id": 1,
        "app_label": "orgs",
        "url": "no-such-page/",
    }


# --- the personas' clients -------------------------------------------------------------------------


class Clients:
    def __init__(self, world: World):
        self.world = world
        self._cache = {}

    # A view that raises is reported as a 500 problem of its URL, not as an error of the whole walk.
    def anonymous(self, api: bool):
        return APIClient(raise_request_exception=False) if api else Client(raise_request_exception=False)

    def of(self, user, api: bool):
        key = (user.pk, api)
        if key not in self._cache:
            if api:
                client = APIClient(raise_request_exception=False)
                token, _created = Token.objects.get_or_create(user=user)
                client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
            else:
                client = Client(raise_request_exception=False)
                client.force_login(user)
                if user.requires_two_factor:  # a verified session, as after the TOTP step
                    device = StaticDevice.objects.create(user=user, name="walker", confirmed=True)
                    session = client.session
                    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
                    session.save()
            self._cache[key] = client
        return self._cache[key]


# --- the checks ---------------------------------------------------------------------------------------


def _get(client, path, query):
    return client.get(path, query or {}, HTTP_ACCEPT="application/json, text/html")


def check(leaf: Leaf, route: Route, w: World, clients: Clients) -> list[str]:
    api = leaf.namespace.split(":")[0] == "api"
    kwargs = {"format": "json"}
    if route.kind == ADMIN_SITE:
        kwargs.update(admin_kwargs(leaf, w))
    elif route.kwargs is not None:
        kwargs.update(route.kwargs(w))
    try:
        path = build_path(leaf, kwargs)
    except AssertionError as error:
        return [str(error)]
    try:
        match = resolve(path)
    except Resolver404:
        return [f"{leaf.label}: built {path} does not resolve"]
    if match.func is not leaf.pattern.callback:
        return [f"{leaf.label}: built {path} resolves to another view ({match.view_name})"]

    problems: list[str] = []

    def expect(condition, message):
        if not condition:
            problems.append(f"{leaf.label} {path}: {message}")

    def no_leak(response, who):
        leaked = w.leaked(response)
        expect(not leaked, f"{who} sees grassroots data {leaked}")
        expect(response.status_code < 500, f"{who} got {response.status_code}")

    outsiders = [w.person(role, w.tree.sibling) for role in route.roles]
    if route.kind == PUBLIC:
        response = _get(clients.anonymous(api), path, route.query)
        no_leak(response, "anonymous")
    elif route.kind == OWN_ACCOUNT:
        for user in outsiders:
            response = _get(clients.of(user, api), path, route.query)
            no_leak(response, user.username)
            expect(response.status_code in (200, 302), f"{user.username} got {response.status_code}")
    elif route.kind == REFERENCE:
        for user in outsiders:
            response = _get(clients.of(user, api), path, route.query)
            no_leak(response, user.username)
            expect(response.status_code == 200, f"{user.username} got {response.status_code}")
    elif route.kind == ADMIN_SITE:
        response = _get(clients.of(w.outsider, api), path, route.query)
        no_leak(response, "outsider")
        sent_to_login = response.status_code == 302 and response["Location"].startswith("/admin/login/")
        expect(
            sent_to_login or response.status_code == 404,
            f"outsider neither sent to the admin login nor 404 ({response.status_code} {response.get('Location')})",
        )
        sysadmin = w.person(Role.SYSTEM_ADMIN, w.tree.sibling)
        no_leak(_get(clients.of(sysadmin, api), path, route.query), "sibling system admin")
    elif route.kind == OBJECT:
        for user in outsiders:
            client = clients.of(user, api)
            answers = [_get(client, path, route.query), client.post(path, {})]
            for response in answers:
                no_leak(response, user.username)
            statuses = [r.status_code for r in answers]
            expect(
                set(statuses) <= {404, 405} and 404 in statuses,
                f"{user.username} got {statuses} for GET/POST, expected 404",
            )
        if route.control:
            insider = w.person(route.control, w.tree.grassroots)
            status = _get(clients.of(insider, api), path, route.query).status_code
            expect(status != 404, f"control: {insider.username} of the grassroots union got 404 (bad kwargs?)")
    elif route.kind == LIST:
        statuses = []
        for user in outsiders:
            response = _get(clients.of(user, api), path, route.query)
            no_leak(response, user.username)
            statuses.append(response.status_code)
            expect(response.status_code in (200, 404), f"{user.username} got {response.status_code}")
        expect(200 in statuses, f"no outsider persona could list it ({statuses}): the check proved nothing")
        if route.control:
            insider = w.person(route.control, w.tree.grassroots)
            response = _get(clients.of(insider, api), path, route.query)
            expect(
                response.status_code == 200 and w.leaked(response),
                f"control: {insider.username} of the grassroots union sees none of its data",
            )
    elif route.kind == COMPUTE:
        for user in outsiders:
            client = clients.of(user, api)
            expect(_get(client, path, route.query).status_code == 405, f"{user.username}: GET is not 405")
            response = client.post(path, json.dumps(route.body(w)), content_type="application/json")
            no_leak(response, user.username)
            expect(response.status_code == 200, f"{user.username} got {response.status_code}")
    else:
        problems.append(f"{leaf.label}: unknown kind {route.kind!r}")
    return problems


# --- the tests ------------------------------------------------------------------------------------------


def test_every_url_pattern_is_classified():
    unclassified = [leaf.label for leaf in leaves() if classify(leaf) is None]
    assert not unclassified, (
        "URL patterns the walker cannot classify (add them to ROUTES in tests/test_url_walker.py):\n  "
        + "\n  ".join(unclassified)
    )


def _id_kwargs(leaf: Leaf) -> set[str]:
    names = set()
    for part in leaf.chain:
        names |= set(part.pattern.regex.groupindex)
    return {n for n in names if n == "pk" or n == "id" or n.endswith("_pk") or n.endswith("_id")}


def test_urls_naming_an_object_are_object_scoped():
    """A pattern with a pk/org_pk-like kwarg names one object: it must be checked as OBJECT (404 for the
    outsider), unless it is public reference data or part of the admin site."""
    wrong = [
        f"{leaf.label} is {route.kind}"
        for leaf in leaves()
        if (route := classify(leaf)) is not None
        and _id_kwargs(leaf)
        and route.kind not in (OBJECT, REFERENCE, ADMIN_SITE)
    ]
    assert not wrong, wrong


def test_routes_table_has_no_stale_entries():
    names = {leaf.name for leaf in leaves() if leaf.name}
    stale = sorted(set(ROUTES) - names)
    assert not stale, f"ROUTES names URLs that no longer exist: {stale}"


def test_no_url_shows_the_grassroots_union_to_the_sibling_union(world):
    clients = Clients(world)
    problems, checked = [], 0
    for leaf in leaves():
        route = classify(leaf)
        if route is None:
            problems.append(f"{leaf.label}: unclassified")
            continue
        problems += check(leaf, route, world, clients)
        checked += 1
    assert checked > 50  # the walk really went through the project's URLs
    assert not problems, f"{len(problems)} problems:\n  " + "\n  ".join(problems)
