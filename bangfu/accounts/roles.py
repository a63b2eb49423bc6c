"""Roles and what each may do.

A staff user belongs to one org and holds one or more roles. Permissions are strings
`<app_label>.<action>_<model>` (see `bangfu.core.scoping.permission_name`) or named capabilities.
The three administrator roles are mutually exclusive: system, security and audit administration
are separate people (MLPS level 3, DOMAIN.md §9), and none can do another's work.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    SYSTEM_ADMIN = "system_admin", _("System administrator")
    SECURITY_ADMIN = "security_admin", _("Security administrator")
    AUDIT_ADMIN = "audit_admin", _("Audit administrator")
    CASE_WORKER = "case_worker", _("Case worker")
    REVIEWER = "reviewer", _("Reviewer")
    FUND_MANAGER = "fund_manager", _("Fund manager")
    LEADERSHIP = "leadership", _("Union leadership")
    COUNSELLOR = "counsellor", _("Counsellor")
    HELPER = "helper", _("Helper / volunteer")
    PROVIDER = "provider", _("Service provider")
    WORKER = "worker", _("Worker (self-service)")


ADMIN_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN})

# Roles whose holders must use two-factor authentication (TOTP).
TWO_FACTOR_ROLES = frozenset(
    {Role.REVIEWER, Role.FUND_MANAGER, Role.LEADERSHIP, Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN}
)

# Staff roles that work with the union's records (see the org tree and its subtree).
UNION_STAFF_ROLES = frozenset(
    {Role.CASE_WORKER, Role.REVIEWER, Role.FUND_MANAGER, Role.LEADERSHIP, Role.COUNSELLOR, Role.HELPER}
)

_VIEW_TREE = {"orgs.view_org"}

# The hardship registry (bangfu.registry). Reading archives and their parts:
_REGISTRY_READ = {
    "registry.view_household", "registry.view_member", "registry.view_householdcause",
    "registry.view_monthlyincome", "registry.view_expense", "registry.view_assetdeclaration",
    "registry.view_attachment", "registry.view_consent", "registry.view_timelineevent",
    "registry.view_classification",
    # lifecycle records (bangfu.registry.models.lifecycle)
    "registry.view_homevisit", "registry.view_publicnotice", "registry.view_noticeobjection",
    "registry.view_levelopinion", "registry.view_closure", "registry.view_appeal", "registry.view_transfer",
    # Printed forms (archive card, application, visit, approval, notice poster): not for helpers.
    "registry.print_household",
}
# Case workers open, edit and move archives through the early states.
_REGISTRY_EDIT = _REGISTRY_READ | {
    "registry.add_household", "registry.change_household", "registry.change_member", "registry.add_member",
    "registry.delete_member", "registry.change_householdcause", "registry.change_monthlyincome",
    "registry.change_expense", "registry.change_assetdeclaration", "registry.add_attachment",
    "registry.add_consent", "registry.change_consent", "registry.transition_household",
    "registry.export_household", "registry.reveal_household",
}
# Reviewers of the higher union approve, refuse, decide appeals and apply re-classifications.
_REGISTRY_REVIEW = _REGISTRY_EDIT | {"registry.approve_household", "registry.reclassify_household"}

# Assistance funds (bangfu.funds). Everyone who works with money reads the same records:
_FUNDS_READ = {
    "funds.view_fundsource", "funds.view_budget", "funds.view_allocation", "funds.view_disbursement",
    "funds.view_approval", "funds.view_ledgertransaction", "funds.view_ledgerentry", "funds.view_balance",
    "funds.view_monthlytotal", "funds.view_paymentbatch", "funds.view_bankresultimport", "funds.view_campaign",
    "funds.view_fundpolicy", "funds.view_approvalrule",
}
# Case workers apply for payments (and withdraw them) and run campaigns' selections.
_FUNDS_APPLY = _FUNDS_READ | {"funds.add_disbursement", "funds.change_disbursement", "funds.add_campaign",
                              "funds.change_campaign"}
# Reviewers and the leadership decide approval steps.
_FUNDS_APPROVE = _FUNDS_READ | {"funds.approve_disbursement"}
# Fund managers hold the money: budgets, allocations, approval, bank batches and the full-account bank file,
# corrections of the ledger, the rules of paying.
_FUNDS_MANAGE = _FUNDS_APPLY | _FUNDS_APPROVE | {
    "funds.add_budget", "funds.add_allocation", "funds.batch_disbursement", "funds.add_paymentbatch",
    "funds.change_paymentbatch", "funds.export_paymentbatch", "funds.add_bankresultimport",
    "funds.reverse_ledgertransaction", "funds.add_fundpolicy", "funds.change_fundpolicy",
    "funds.add_approvalrule", "funds.change_approvalrule", "funds.delete_approvalrule", "funds.export_report",
}

# Helping each household (bangfu.plans, bangfu.helpers, bangfu.rights): plans, measures, the engine's proposals,
# responsible helpers, visits and rights cases. Reading them, and knowing (only) that a care plan exists:
_HELP_READ = {
    "plans.view_plan", "plans.view_measure", "plans.view_recommendation", "plans.view_recommendationrule",
    "helpers.view_helperassignment", "helpers.view_visitfrequency", "helpers.view_visit",
    "rights.view_rightscase",
}
# Case workers plan, decide proposals, assign and hand over helpers, record visits and rights cases.
_HELP_EDIT = _HELP_READ | {
    "plans.add_plan", "plans.change_plan", "plans.recommend_plan", "plans.change_recommendation",
    "plans.add_measure", "plans.change_measure",
    "helpers.add_helperassignment", "helpers.change_helperassignment", "helpers.add_visit",
    "rights.add_rightscase", "rights.change_rightscase",
}
# Setting how often each kind of helper visits, for the user's union and its subtree.
_VISIT_RULES = {"helpers.add_visitfrequency", "helpers.change_visitfrequency", "helpers.delete_visitfrequency"}
# Mental-health care (bangfu.care): health data, counsellors only (DOMAIN.md §8, §9).
_CARE = {
    "care.view_careplan", "care.add_careplan", "care.change_careplan",
    "care.view_counsellingsession", "care.add_counsellingsession",
    "care.view_groupactivity", "care.add_groupactivity", "care.change_groupactivity",
    "care.view_screening", "care.add_screening",
    "care.view_crisiscase", "care.change_crisiscase", "care.acknowledge_crisiscase",
}
_KNOW_CARE = {"care.know_careplan"}

# Bulk import of archives (bangfu.imports): upload, follow, cancel a job and read its report.
_IMPORTS = {"imports.view_importjob", "imports.add_importjob", "imports.change_importjob"}
# Economic-check requests to the civil-affairs check centre and their results (bangfu.econcheck).
_ECONCHECK = {
    "econcheck.view_checkrequest", "econcheck.add_checkrequest", "econcheck.change_checkrequest",
    "econcheck.view_checkresult",
}
# Cross-checks with government data (bangfu.crosscheck): read the findings of the subtree and their evidence,
# load data sets (file upload, API push) and run checks; reviewers also resolve findings (confirm / dismiss).
_CROSSCHECK_READ = {
    "crosscheck.view_datasource", "crosscheck.view_snapshot", "crosscheck.view_checkrule",
    "crosscheck.view_checkrun", "crosscheck.view_finding",
}
_CROSSCHECK_LOAD = _CROSSCHECK_READ | {"crosscheck.add_snapshot", "crosscheck.add_checkrun"}
_CROSSCHECK_RESOLVE = _CROSSCHECK_LOAD | {"crosscheck.change_finding"}
# Dynamic management (bangfu.monitoring): annual reviews, the higher level's spot checks, exit suggestions and
# relapse watches. Case workers do reviews and act on suggestions; reviewers also draw and do spot checks.
_MONITORING_READ = {
    "monitoring.view_reviewcycle", "monitoring.view_review", "monitoring.view_exitsuggestion",
    "monitoring.view_relapsewatch",
}
_MONITORING_EDIT = _MONITORING_READ | {
    "monitoring.change_review", "monitoring.change_exitsuggestion", "monitoring.change_relapsewatch",
}
_MONITORING_REVIEW = _MONITORING_EDIT | {"monitoring.add_reviewcycle", "monitoring.spotcheck_review"}

# The service platform (bangfu.services): menu, providers, offers, requests, rounds, matches, feedback.
_SERVICES_READ = {
    "services.view_serviceitem", "services.view_provider", "services.view_offer", "services.view_servicerequest",
    "services.view_project", "services.view_matchround", "services.view_match", "services.view_feedback",
    "services.view_servicepolicy", "services.view_roundrequest", "services.view_pairrule",
}
# Case workers register providers, enter offers for providers that do not use the platform themselves, order
# for households, answer requests (take, decline, record delivery), run matching rounds with pins and forbids,
# and keep projects.
_SERVICES_EDIT = _SERVICES_READ | {
    "services.add_provider", "services.change_provider", "services.add_offer", "services.change_offer",
    "services.add_servicerequest",
    "services.change_servicerequest", "services.add_project", "services.change_project",
    "services.add_matchround", "services.change_matchround", "services.change_match",
}
# Reviewers of the union also verify providers, moderate offers and sign requests off (县总签单).
_SERVICES_REVIEW = _SERVICES_EDIT | {
    "services.verify_provider", "services.moderate_offer", "services.signoff_servicerequest",
    "services.add_servicepolicy", "services.change_servicepolicy",
}
# A provider's account: its own provider record and offers, and the (masked) requests matched to them.
_SERVICES_PROVIDER = {
    "services.view_serviceitem", "services.view_provider", "services.change_provider", "services.view_offer",
    "services.add_offer", "services.change_offer", "services.view_servicerequest", "services.view_match",
    "services.change_match", "services.view_feedback",
}
# A worker: the menu, the feed of offers, their own household's requests, matches and feedback.
_SERVICES_WORKER = {
    "services.view_serviceitem", "services.view_offer", "services.view_servicerequest",
    "services.add_servicerequest", "services.view_match", "services.change_match", "services.view_feedback",
    "services.add_feedback",
}

# Statistics (bangfu.stats): dashboards and comparisons of the user's subtree; exporting reports; the
# mental-health figures, as counts only, to counsellors and leadership (DOMAIN.md §8).
_STATS = {"stats.view_statistics"}
_STATS_EXPORT = _STATS | {"stats.export_statistics"}
_STATS_CARE = {"stats.view_care_statistics"}

# Least privilege: each role gets exactly what its work needs. Later issues add their permissions here.
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.SYSTEM_ADMIN: frozenset(
        _VIEW_TREE | {"orgs.change_org", "orgs.add_org", "accounts.view_user", "accounts.change_user",
                      "accounts.add_user", "core.configure",
                      # Role assignments are edited inline on the user (Django admin needs these names).
                      "accounts.view_userrole", "accounts.add_userrole", "accounts.change_userrole",
                      "accounts.delete_userrole",
                      # The working-day calendar's override table (bangfu.workdays).
                      "workdays.view_calendaroverride", "workdays.add_calendaroverride",
                      "workdays.change_calendaroverride", "workdays.delete_calendaroverride",
                      # The registry's code lists (switched off, never deleted).
                      "registry.view_codeitem", "registry.add_codeitem", "registry.change_codeitem",
                      # Fund sources and the categories each may pay.
                      "funds.view_fundsource", "funds.add_fundsource", "funds.change_fundsource",
                      # The recommendation engine's rules (every edit is a new version).
                      "plans.view_recommendationrule", "plans.add_recommendationrule",
                      "plans.change_recommendationrule",
                      # Government data sources and the cross-check rules' parameters (data, versioned).
                      "crosscheck.view_datasource", "crosscheck.change_datasource", "crosscheck.view_checkrule",
                      "crosscheck.change_checkrule",
                      # Dynamic management's parameters (spot-check share, exit months, thresholds) per union.
                      "monitoring.view_monitoringpolicy", "monitoring.add_monitoringpolicy",
                      "monitoring.change_monitoringpolicy",
                      # The menu of services (national reference data).
                      "services.view_serviceitem", "services.add_serviceitem", "services.change_serviceitem"}
    ),
    # The security admin reaches users through the tree (orgs.view_org), unlocks them and resets 2FA.
    Role.SECURITY_ADMIN: frozenset(
        _VIEW_TREE | {"accounts.view_user", "accounts.unlock_user", "accounts.reset_2fa_user"}
    ),
    Role.AUDIT_ADMIN: frozenset({"audit.view_changelogentry", "audit.view_accesslogentry"}),
    Role.CASE_WORKER: frozenset(_VIEW_TREE | _REGISTRY_EDIT | _FUNDS_APPLY | _HELP_EDIT | _KNOW_CARE | _IMPORTS
                                 | _ECONCHECK | _CROSSCHECK_LOAD | _MONITORING_EDIT | _SERVICES_EDIT | _STATS),
    Role.REVIEWER: frozenset(_VIEW_TREE | _REGISTRY_REVIEW | _FUNDS_APPROVE | _HELP_EDIT | _VISIT_RULES | _KNOW_CARE
                              | _IMPORTS | _ECONCHECK | _CROSSCHECK_RESOLVE | _MONITORING_REVIEW
                              | _SERVICES_REVIEW | _STATS_EXPORT),
    Role.FUND_MANAGER: frozenset(_VIEW_TREE | _REGISTRY_READ | _FUNDS_MANAGE | _HELP_READ | _STATS_EXPORT),
    Role.LEADERSHIP: frozenset(_VIEW_TREE | {"accounts.view_user"} | _REGISTRY_READ | _FUNDS_APPROVE | _HELP_READ
                               | _VISIT_RULES | _KNOW_CARE | _CROSSCHECK_READ | _MONITORING_READ
                               | _SERVICES_READ | _STATS_EXPORT | _STATS_CARE),
    # Counsellors also see the health parts of the need score (checked with this capability).
    Role.COUNSELLOR: frozenset(_VIEW_TREE | _REGISTRY_READ | {"registry.view_health_score"} | _HELP_READ
                               | {"helpers.add_visit"} | _CARE | _KNOW_CARE | _STATS | _STATS_CARE),
    # Helpers visit the households they are responsible for and update the measures they own; they are told
    # that an urgent contact is due, never why (no care permission at all).
    Role.HELPER: frozenset(_VIEW_TREE | {"registry.view_household", "registry.view_member",
                                         "registry.view_householdcause", "registry.view_timelineevent",
                                         "plans.view_plan", "plans.view_measure", "plans.change_measure",
                                         "helpers.view_helperassignment", "helpers.view_visit", "helpers.add_visit",
                                         "helpers.view_visitfrequency"}),
    Role.PROVIDER: frozenset(_SERVICES_PROVIDER),
    # A worker sees their own household only (HouseholdQuerySet.restrict_for_worker).
    # The decisions about it (opinions, notice, closure, appeals) are theirs to read; objections are not.
    Role.WORKER: frozenset({"registry.view_household", "registry.view_member", "registry.view_householdcause",
                            "registry.view_levelopinion", "registry.view_publicnotice", "registry.view_closure",
                            "registry.view_appeal",
                            "registry.view_monthlyincome", "registry.view_timelineevent",
                            # the explanation of their own category (not the need score: staff only)
                            "registry.view_classification",
                            # the payments to their own household
                            "funds.view_disbursement",
                            # the plan of help for their household and its measures
                            "plans.view_plan", "plans.view_measure"} | _SERVICES_WORKER),
}


def permissions_for(roles) -> frozenset[str]:
    perms: set[str] = set()
    for role in roles:
        perms |= ROLE_PERMISSIONS.get(role, frozenset())
    return frozenset(perms)
