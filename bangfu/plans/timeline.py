"""The plan's rows on the household timeline (group "plan"): what each kind is called and its detail in words.

Rows store codes, dates, counts and the staff member's name only — never a measure's description, the
situation or needs text, or the facts a rule matched (they may tell of illness). A reader without the
permission named in `KINDS` sees only what happened.
"""

from __future__ import annotations

from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from bangfu.plans.models import MeasureKind, MeasureState


def _label(choices, value) -> str:
    return str(choices(value).label) if value in choices.values else str(value or "")


def _field_names(names) -> str:
    labels = {"situation": gettext("situation"), "needs": gettext("needs")}
    return gettext("Changed: %(fields)s") % {"fields": ", ".join(labels.get(n, n) for n in names or [])}


def _measure(d: dict) -> str:
    parts = [_label(MeasureKind, d.get("measure_kind"))]
    if d.get("due_on"):
        parts.append(gettext("due %(date)s") % {"date": d["due_on"]})
    if d.get("owner"):
        parts.append(gettext("owner %(name)s") % {"name": d["owner"]})
    return " · ".join(p for p in parts if p)


def _proposal(d: dict) -> str:
    text = _measure(d)
    if d.get("rule"):
        text += " · " + gettext("rule %(code)s v%(version)s") % {"code": d["rule"], "version": d.get("rule_version")}
    return text


def _rejected(d: dict) -> str:
    text = _label(MeasureKind, d.get("measure_kind"))
    if d.get("rejection_reason"):
        text += " · " + gettext("reason: %(reason)s") % {"reason": d["rejection_reason"]}
    return text


def _state_changed(d: dict) -> str:
    return gettext("%(measure)s: %(old)s → %(new)s") % {
        "measure": _label(MeasureKind, d.get("measure_kind")), "old": _label(MeasureState, d.get("old_state")),
        "new": _label(MeasureState, d.get("new_state"))}


def _updated(d: dict) -> str:
    parts = [_label(MeasureKind, d.get("measure_kind"))]
    changes = d.get("changes") or {}
    if "due_on" in changes:
        parts.append(gettext("due date %(old)s → %(new)s") % {"old": changes["due_on"][0], "new": changes["due_on"][1]})
    if "owner" in changes:
        parts.append(gettext("owner %(old)s → %(new)s") % {"old": changes["owner"][0], "new": changes["owner"][1]})
    return " · ".join(parts)


def _proposed(d: dict) -> str:
    count = int(d.get("count") or 0)
    text = ngettext("%(count)d measure proposed", "%(count)d measures proposed", count) % {"count": count}
    if d.get("rules"):
        text += " · " + gettext("rules: %(codes)s") % {"codes": ", ".join(d["rules"])}
    return text


# kind: (label, describer, permission needed to read the detail)
KINDS = {
    "plan_created": (_("Household plan started"), None, "plans.view_plan"),
    "plan_updated": (_("Household plan updated"), lambda d: _field_names(d.get("fields")), "plans.view_plan"),
    "measures_proposed": (_("Measures proposed by the rules"), _proposed, "plans.view_recommendation"),
    "measure_added": (_("Measure added"), _measure, "plans.view_measure"),
    "measure_updated": (_("Measure re-planned"), _updated, "plans.view_measure"),
    "measure_state_changed": (_("Measure state changed"), _state_changed, "plans.view_measure"),
    "proposal_accepted": (_("Proposed measure accepted"), _proposal, "plans.view_recommendation"),
    "proposal_edited": (_("Proposed measure accepted with changes"), _proposal, "plans.view_recommendation"),
    "proposal_rejected": (_("Proposed measure rejected"), _rejected, "plans.view_recommendation"),
}


def register() -> None:
    from bangfu.registry.models.timeline import register_kind

    for kind, (label, describe, needs) in KINDS.items():
        register_kind(kind, label, describe=describe, needs=needs, group="plan")
