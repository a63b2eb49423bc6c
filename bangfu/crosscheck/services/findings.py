"""Resolving findings (confirm → the rule's action in the same transaction; dismiss → recorded) and editing the
rules' parameters (every edit is a new version)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu.core.scoping import assert_in_scope
from bangfu.crosscheck.models import CheckRule, Finding, FindingState, RuleAction, Severity
from bangfu.registry.models import Member, record_event
from bangfu.registry.signals import relapse_evidence

REASON_MAX = 2000


def _action(finding: Finding, actor) -> str:
    """Perform the rule's action; returns what was done (shown on the finding)."""
    from bangfu.registry.services.archive import household_update, member_remove
    from bangfu.registry.services.lifecycle import household_exit

    household = finding.household
    action = finding.action
    if action == RuleAction.RECLASSIFY:
        if household.on_minimum_living_roster:
            return _("The household was already marked as on the minimum-living roster.")
        household_update(actor, household, {"on_minimum_living_roster": True})
        household.refresh_from_db()
        return _("Marked as on the minimum-living roster and re-classified (category now: %(category)s).") % {
            "category": household.get_category_display() or "—"}
    if action == RuleAction.EXIT_REVIEW:
        if actor is None:
            return _("To review: an exit needs a person.")
        household_exit(household, actor=actor, reason="failed_review",
                       note=_("Cross-check finding #%(pk)s: %(rule)s") % {"pk": finding.pk, "rule": finding.rule.title})
        return _("The archive was exited (failed re-identification).")
    if action == RuleAction.SIZE_CHANGE:
        member = Member.objects.filter(pk=finding.member_id, household=household).first()
        if member is None:
            return _("The member is no longer in the household.")
        if member.is_head:
            return _("The deceased is the head of household: choose a new head (change of head) to continue the "
                     "archive.")
        member_remove(actor, member, reason="death")
        return _("The deceased member was removed (death); the household was re-classified.")
    if action == RuleAction.RELAPSE:
        relapse_evidence.send(sender=Finding, household=household, kind="dibao_enrolment",
                              evidence=finding.evidence, source=f"crosscheck finding {finding.pk}", actor=actor)
        return _("Sent to relapse monitoring for review.")
    if action == RuleAction.INCOME_DISCREPANCY:
        return _("Income discrepancy confirmed: update the members' incomes, the household is then re-classified.")
    if action == RuleAction.DUPLICATE:
        return _("Duplicate confirmed: merge or close one of the archives.")
    return ""


def _resolvable(finding: Finding, actor, reason: str) -> tuple[Finding, str]:
    locked = Finding.objects.select_for_update().select_related("household", "rule").get(pk=finding.pk)
    errors = {}
    reason = (reason or "").strip()
    if locked.state != FindingState.OPEN:
        errors["__all__"] = [_("This finding is already %(state)s.") % {"state": locked.get_state_display()}]
    if not reason:
        errors["reason"] = [_("Give the reason for your decision.")]
    elif len(reason) > REASON_MAX:
        errors["reason"] = [_("The reason is too long (at most %(max)s characters).") % {"max": REASON_MAX}]
    if errors:
        raise ValidationError(errors)
    return locked, reason


@transaction.atomic
def finding_confirm(actor, finding: Finding, *, reason: str) -> Finding:
    finding, reason = _resolvable(finding, actor, reason)
    result = _action(finding, actor)
    finding.state = FindingState.CONFIRMED
    finding.resolved_by, finding.resolved_at = actor, timezone.now()
    finding.reason, finding.action_result = reason, result[:300]
    # update_fields: the action may have removed the member (the finding's member is then SET_NULL)
    finding.save(update_fields=["state", "resolved_by", "resolved_at", "reason", "action_result"])
    record_event(finding.household, "finding_confirmed", actor=actor, reason=reason, finding=finding.pk,
                 rule=finding.rule_code, rule_version=finding.rule.version, result=result)
    if actor is not None:
        assert_in_scope(finding, actor, "change")
    return finding


@transaction.atomic
def finding_dismiss(actor, finding: Finding, *, reason: str) -> Finding:
    finding, reason = _resolvable(finding, actor, reason)
    finding.state = FindingState.DISMISSED
    finding.resolved_by, finding.resolved_at, finding.reason = actor, timezone.now(), reason
    finding.save(update_fields=["state", "resolved_by", "resolved_at", "reason"])
    record_event(finding.household, "finding_dismissed", actor=actor, reason=reason, finding=finding.pk,
                 rule=finding.rule_code, rule_version=finding.rule.version)
    assert_in_scope(finding, actor, "change")
    return finding


def act_automatically(rule: CheckRule, run) -> int:
    """An automatic rule acts at evaluation time: each new finding of the run is confirmed with the rule version
    as its reason (in the caller's transaction). Actions that need a person (an exit) stay open."""
    if rule.action == RuleAction.EXIT_REVIEW:
        return 0
    done = 0
    for finding in Finding.objects.filter(run=run, rule_code=rule.code, state=FindingState.OPEN):
        result = _action(finding, None)
        Finding.objects.filter(pk=finding.pk).update(
            state=FindingState.CONFIRMED, automatic=True, resolved_at=timezone.now(), action_result=result[:300],
            reason=_("Automatic: rule %(code)s version %(version)s") % {"code": rule.code, "version": rule.version})
        record_event(finding.household, "finding_confirmed", reason=f"{rule.code} v{rule.version}",
                     finding=finding.pk, rule=rule.code, rule_version=rule.version, result=result, automatic=True)
        done += 1
    return done


# --- rule parameters -------------------------------------------------------------------------------------------

_KIND_PARAMS = {"kinds", "excluded_kinds"}
PARAM_SPECS = {
    "dibao_new": {"kinds": "codes"}, "relapse_dibao": {"kinds": "codes"},
    "vehicle": {"excluded_kinds": "codes"}, "non_residential": {"kinds": "codes"},
    "homes": {"min_homes": ("int", 1, 100)}, "business": {"min_employees": ("int", 0, 100000)},
    "assets": {"limit_yuan_per_person": ("int", 0, 100_000_000)},
    "income": {"ratio": ("float", 1.0, 100.0), "min_gap_yuan": ("int", 0, 1_000_000)},
    "death": {}, "duplicate": {}, "possible_duplicate": {},
}


def clean_params(code: str, params) -> dict:
    spec = PARAM_SPECS.get(code, {})
    if not isinstance(params, dict):
        raise ValidationError({"params": [_("The parameters must be a JSON object, e.g. {\"min_homes\": 2}.")]})
    unknown = sorted(set(params) - set(spec))
    problems = []
    if unknown:
        problems.append(_("Unknown parameters: %(names)s. This rule takes: %(expected)s.") % {
            "names": ", ".join(unknown), "expected": ", ".join(spec) or "—"})
    clean = {}
    for name, kind in spec.items():
        if name not in params:
            problems.append(_("The parameter %(name)s is missing.") % {"name": name})
            continue
        value = params[name]
        if kind == "codes":
            if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                problems.append(_("%(name)s must be a list of codes.") % {"name": name})
            else:
                clean[name] = value
            continue
        typ, low, high = kind
        try:
            number = int(value) if typ == "int" and not isinstance(value, bool) and float(value) == int(value) \
                else float(value)
        except (TypeError, ValueError):
            problems.append(_("%(name)s must be a number.") % {"name": name})
            continue
        if typ == "int" and number != int(number):
            problems.append(_("%(name)s must be a whole number.") % {"name": name})
        elif not low <= number <= high:
            problems.append(_("%(name)s must be between %(low)s and %(high)s.") % {"name": name, "low": low,
                                                                                 "high": high})
        else:
            clean[name] = int(number) if typ == "int" else float(number)
    if problems:
        raise ValidationError({"params": problems})
    return clean


@transaction.atomic
def rule_edit(actor, rule: CheckRule, *, enabled: bool, severity: str, automatic: bool, params, note: str) -> CheckRule:
    """Write a new version of the rule; the old one stays for the findings that refer to it."""
    current = CheckRule.objects.select_for_update().get(code=rule.code, is_current=True)
    errors = {}
    if severity not in Severity.values:
        errors["severity"] = [_("Choose a severity.")]
    note = (note or "").strip()
    if not note:
        errors["note"] = [_("Say why the rule changes (kept with the version).")]
    try:
        params = clean_params(rule.code, params)
    except ValidationError as error:
        errors.update(error.message_dict)
    if automatic and current.action == RuleAction.EXIT_REVIEW:
        errors["automatic"] = [_("An exit needs a person: this rule cannot act automatically.")]
    if errors:
        raise ValidationError(errors)
    CheckRule.objects.filter(pk=current.pk).update(is_current=False)
    return CheckRule.objects.create(
        code=current.code, version=current.version + 1, is_current=True, title=current.title,
        sources=current.sources, enabled=enabled, severity=severity, action=current.action, automatic=automatic,
        params=params, note=note[:300], edited_by=actor)
