"""What a user is shown of the evidence of exit suggestions and relapse triggers (DOMAIN.md §9).

Health is the most sensitive part of an archive: only users with `registry.view_health_score` (counsellors)
see health codes. Everybody else with the monitoring view permission reads the rest:

* **relapse triggers** — a serious-illness trigger reads "A member's health changed to a serious illness." with no
  member, no code and an evidence key without the code; any other trigger's evidence loses every key that names
  health (health, disease, diagnosis, illness) and every value that is a code of the health code list (the
  cross-check app's evidence is passed through, so this is checked, not assumed). Income figures (income drop)
  and work status (job loss) are shown to all staff with the view permission.
* **exit suggestions** — the evidence is income, household size and the living line only: it is passed through an
  allowlist of those keys for users without the health permission, so nothing else can leak through it.

`describe_trigger` gives the one sentence the pages show; `trigger_evidence` / `suggestion_evidence` the dicts
the API returns. Both pages and API call these, never the raw JSON.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from bangfu.funds.money import format_yuan
from bangfu.monitoring.models import TriggerKind

HEALTH_PERMISSION = "registry.view_health_score"
_HEALTH_WORDS = ("health", "disease", "diagnos", "illness", "sick")
_SUGGESTION_KEYS = {"evaluated_on", "months_required", "size", "line_fen", "line_yuan", "line_division",
                    "line_effective_from", "line_illustrative", "months"}
_MONTH_KEYS = {"month", "income_fen", "pci_fen", "line_fen"}


def may_see_health(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.has_role_permission(HEALTH_PERMISSION)


def _health_codes() -> set[str]:
    from bangfu.registry.models.codes import CodeItem

    return set(CodeItem.objects.filter(code_list="health").values_list("code", flat=True))


def _is_health_key(key) -> bool:
    return any(word in str(key).lower() for word in _HEALTH_WORDS)


def trigger_evidence(trigger, user, *, health_codes: set[str] | None = None) -> dict:
    """The trigger's evidence as `user` may see it."""
    evidence = dict(trigger.evidence or {}) if isinstance(trigger.evidence, dict) else {}
    if may_see_health(user):
        return evidence
    if trigger.kind == TriggerKind.SERIOUS_ILLNESS:
        return {}
    codes = _health_codes() if health_codes is None else health_codes
    return {key: value for key, value in evidence.items()
            if not _is_health_key(key) and not (isinstance(value, str) and value in codes)}


def trigger_key(trigger, user) -> str:
    """The evidence key ("member:12:cancer" for a serious illness) without the health code for others."""
    if trigger.kind == TriggerKind.SERIOUS_ILLNESS and not may_see_health(user):
        return "member:serious_illness"
    return trigger.evidence_key


def describe_trigger(trigger, user) -> str:
    """One sentence saying what the trigger saw, in the user's language, health only for `may_see_health`."""
    from bangfu.registry.models.codes import code_label

    evidence = trigger.evidence if isinstance(trigger.evidence, dict) else {}
    if trigger.kind == TriggerKind.SERIOUS_ILLNESS:
        code = evidence.get("health") or trigger.evidence_key.rsplit(":", 1)[-1]
        if may_see_health(user) and code:
            return _("The health of member %(member)s changed to %(health)s, a serious illness.") % {
                "member": evidence.get("member_masked") or "—", "health": code_label("health", code)}
        return _("A member's health changed to a serious illness.")
    if trigger.kind == TriggerKind.JOB_LOSS and evidence.get("work_status"):
        return _("The work status of member %(member)s changed to %(status)s.") % {
            "member": evidence.get("member_masked") or "—",
            "status": code_label("work_status", evidence["work_status"])}
    if trigger.kind == TriggerKind.INCOME_DROP and evidence.get("income_fen") is not None:
        parts = [_("Household income of %(month)s: %(income)s yuan.") % {
            "month": evidence.get("month", ""), "income": format_yuan(int(evidence["income_fen"]))}]
        if evidence.get("previous_month_fen") is not None:
            parts.append(_("The month before: %(amount)s yuan.") % {
                "amount": format_yuan(int(evidence["previous_month_fen"]))})
        if evidence.get("six_month_average_fen") is not None:
            parts.append(_("Average of the six months before: %(amount)s yuan.") % {
                "amount": format_yuan(int(evidence["six_month_average_fen"]))})
        if evidence.get("threshold_percent"):
            parts.append(_("A fall of %(percent)s %% or more asks for a review.") % {
                "percent": evidence["threshold_percent"]})
        return " ".join(parts)
    shown = trigger_evidence(trigger, user)
    details = "; ".join(f"{key}: {value}" for key, value in shown.items() if key != "key")
    if details:
        return _("Reported by %(source)s: %(details)s") % {"source": trigger.source, "details": details}
    return _("Reported by %(source)s.") % {"source": trigger.source}


def suggestion_evidence(suggestion, user) -> dict:
    """The exit suggestion's evidence as `user` may see it (an allowlist of income and line keys)."""
    evidence = suggestion.evidence if isinstance(suggestion.evidence, dict) else {}
    if may_see_health(user):
        return dict(evidence)
    shown = {key: value for key, value in evidence.items() if key in _SUGGESTION_KEYS and key != "months"}
    shown["months"] = [{key: value for key, value in month.items() if key in _MONTH_KEYS}
                       for month in evidence.get("months") or [] if isinstance(month, dict)]
    return shown
