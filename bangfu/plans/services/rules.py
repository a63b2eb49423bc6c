"""Editing the recommendation rules: every save writes a new version row.

The current row of a code is marked `is_current=False` and a copy with the new content and `version + 1` is
written in the same transaction, so a proposal keeps pointing at the exact version that made it. A save names
the version it was based on: when somebody else saved the rule meanwhile, the save is refused (nothing is lost
silently). Activating and deactivating are new versions too.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from bangfu.plans.engine import KEY_PATTERN, validate_condition, validate_proposals
from bangfu.plans.models import RecommendationRule

RULE_FIELDS = ("title", "title_en", "explanation", "condition", "proposals", "priority", "is_active", "source")
MAX_PRIORITY = 32767
MAX_EXPLANATION = 4000
RESERVED_CODES = {"new"}  # /plans/rules/new/ is the page that creates a rule


def _require(user) -> None:
    if not user.has_role_permission("plans.change_recommendationrule"):
        raise PermissionDenied


def validate_rule(data: dict, *, code: str) -> dict:
    """Check a rule's content; returns the cleaned values or raises ValidationError by field."""
    errors: dict[str, list] = {}
    clean = {}
    for field, limit, required in (("title", 120, True), ("title_en", 120, False), ("source", 200, False),
                                   ("explanation", MAX_EXPLANATION, False)):
        value = data.get(field) or ""
        if not isinstance(value, str):
            errors[field] = [_("Enter text.")]
            continue
        value = value.strip()
        if required and not value:
            errors[field] = [_("This field is required.")]
        elif len(value) > limit:
            errors[field] = [_("At most %(max)d characters.") % {"max": limit}]
        clean[field] = value
    priority = data.get("priority", 100)
    if isinstance(priority, bool) or not isinstance(priority, int) or not 0 <= priority <= MAX_PRIORITY:
        errors["priority"] = [_("A whole number from 0 to %(max)d (lower numbers run first).") % {"max": MAX_PRIORITY}]
    clean["priority"] = priority
    clean["is_active"] = bool(data.get("is_active", True))
    for field, check in (("condition", validate_condition), ("proposals", validate_proposals)):
        try:
            check(data.get(field))
        except ValidationError as error:
            errors[field] = error.messages
        clean[field] = data.get(field)
    if "proposals" not in errors:
        # A proposal key names one measure across all rules: a household is never asked twice about it.
        taken = {}
        for rule in RecommendationRule.objects.current().exclude(code=code).only("code", "proposals"):
            for proposal in rule.proposals if isinstance(rule.proposals, list) else []:
                if isinstance(proposal, dict):
                    taken[proposal.get("key")] = rule.code
        for row, proposal in enumerate(clean["proposals"], start=1):
            if proposal["key"] in taken:
                errors.setdefault("proposals", []).append(
                    _("Proposal %(row)d, field “key”: “%(key)s” is already a proposal of the rule “%(rule)s”.")
                    % {"row": row, "key": proposal["key"], "rule": taken[proposal["key"]]})
    if errors:
        raise ValidationError(errors)
    return clean


@transaction.atomic
def rule_create(user, code: str, data: dict) -> RecommendationRule:
    """A new rule (version 1)."""
    _require(user)
    code = (code or "").strip()
    if not KEY_PATTERN.fullmatch(code) or code != code.lower() or code in RESERVED_CODES:
        raise ValidationError({"code": [_("Use 1–40 lower-case letters, digits, “_” or “-”, e.g. serious_illness "
                                         "(“new” is reserved).")]})
    if RecommendationRule.objects.filter(code=code).exists():
        raise ValidationError({"code": [_("There is already a rule with the code “%(code)s”.") % {"code": code}]})
    clean = validate_rule(data, code=code)
    try:
        with transaction.atomic():
            return RecommendationRule.objects.create(code=code, version=1, created_by=user, **clean)
    except IntegrityError:  # created by somebody else at the same moment
        raise ValidationError({"code": [_("There is already a rule with the code “%(code)s”.") % {"code": code}]})


def _current_locked(code: str, base_version: int | None) -> RecommendationRule:
    current = RecommendationRule.objects.select_for_update().filter(code=code, is_current=True).first()
    if current is None:
        raise ValidationError(_("There is no rule with the code “%(code)s”.") % {"code": code}, code="no_rule")
    if base_version is not None and current.version != base_version:
        raise ValidationError(
            _("Somebody saved this rule meanwhile (it is now version %(now)d, you edited version %(base)d): reload "
              "the page and make your change again.") % {"now": current.version, "base": base_version},
            code="stale")
    return current


def _next_version(user, current: RecommendationRule, clean: dict) -> RecommendationRule:
    current.is_current = False
    current.save(update_fields=["is_current"])
    return RecommendationRule.objects.create(code=current.code, version=current.version + 1, created_by=user,
                                             **clean)


@transaction.atomic
def rule_new_version(user, code: str, data: dict, *, base_version: int | None) -> RecommendationRule:
    """Save an edited rule as its next version (the old one stays, no longer current)."""
    _require(user)
    current = _current_locked(code, base_version)
    clean = validate_rule(data, code=code)
    if all(getattr(current, field) == clean[field] for field in RULE_FIELDS):
        raise ValidationError(_("Nothing was changed: no new version was written."), code="unchanged")
    return _next_version(user, current, clean)


@transaction.atomic
def rule_set_active(user, code: str, active: bool, *, base_version: int | None) -> RecommendationRule:
    """Put a rule in or out of use (a new version with the same content)."""
    _require(user)
    current = _current_locked(code, base_version)
    if current.is_active == bool(active):
        raise ValidationError(_("The rule is already %(state)s.") % {
            "state": _("in use") if current.is_active else _("out of use")}, code="unchanged")
    clean = {field: getattr(current, field) for field in RULE_FIELDS}
    clean["is_active"] = bool(active)
    return _next_version(user, current, clean)
