"""The household's timeline: one row per thing that happened to the archive, written inside each action."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from bangfu.core import context
from bangfu.registry.models.household import HouseholdPartQuerySet

# What happened, in the past tense, for every `kind` written anywhere (`grep -rn "record_event(" bangfu`):
# the lifecycle actions of `registry.lifecycle.TABLE`, the archive edits of `services.archive`, the
# restructuring rows, the engine's "reclassified", and the rows of the demo data. A kind missing here
# falls back to the action label stored with the row, then to the kind itself made readable.
KIND_LABELS = {
    # archive edits
    "created": _("Archive created"),
    "household_updated": _("Household details changed"),
    "member_added": _("Member added"),
    "member_updated": _("Member details changed"),
    "member_removed": _("Member removed"),
    "causes_set": _("Causes of hardship set"),
    "incomes_set": _("Incomes recorded"),
    "expense_added": _("Expense recorded"),
    "expense_removed": _("Expense removed"),
    "assets_set": _("Assets declared"),
    "attachment_added": _("Document attached"),
    "consent_recorded": _("Consent recorded"),
    "reclassified": _("Category changed"),
    # lifecycle (registry.lifecycle.TABLE)
    "submit": _("Application submitted"),
    "first_check_start": _("First check started"),
    "first_check": _("First check passed"),
    "home_visit": _("Home visit recorded"),
    "economic_check_complete": _("Economic check done"),
    "economic_check_waive": _("Economic check waived"),
    "notice_start": _("Public notice started"),
    "notice_objection": _("Objection to the notice recorded"),
    "notice_objection_decide": _("Objection decided"),
    "notice_close": _("Public notice closed"),
    "approve": _("Approved by the higher union"),
    "refuse": _("Refused"),
    "refusal_notified": _("Applicant told of the refusal"),
    "review": _("Annual review recorded"),
    "exit": _("Exited"),
    "appeal_file": _("Appeal filed"),
    "appeal_decide": _("Appeal decided"),
    "temporary_convert": _("Converted to a regular archive"),
    "temporary_cancel": _("Temporary relief cancelled"),
    "transfer": _("Transferred to another union"),
    "change_head": _("Head of household changed"),
    "split": _("A new household split off"),
    "merge": _("Another archive merged into this one"),
    "reenter": _("Re-opened as a new archive"),
    # restructuring, written on the other archive
    "split_created": _("Created by a split"),
    "reentry_created": _("Created by a re-entry"),
    "merged": _("Merged into another archive"),
    # demo data and generic rows
    "transition": _("State changed"),
    "transferred": _("Transferred to another union"),
}

# Kinds written by other apps (payments, plans, visits, …), registered from their AppConfig.ready():
# the describer turns a row's detail into words; `needs` is the permission a reader must hold to see
# those words (without it the row shows only what happened).
_EXTRA_DESCRIBERS: dict = {}
SUMMARY_PERMISSIONS: dict[str, str] = {}

# The groups the timeline page filters by. Kinds of this module are "archive" (edits and restructuring) or
# "lifecycle" (the transition table); other apps name their group when they register a kind.
GROUP_LABELS = {
    "archive": _("Archive"),
    "lifecycle": _("Application and decisions"),
    "plan": _("Plan and measures"),
    "helpers": _("Helpers and visits"),
    "rights": _("Rights protection"),
    "payments": _("Payments"),
    "services": _("Service requests"),
    "findings": _("Cross-check findings"),
}
_ARCHIVE_KINDS = {
    "created", "household_updated", "member_added", "member_updated", "member_removed", "causes_set",
    "incomes_set", "expense_added", "expense_removed", "assets_set", "attachment_added", "consent_recorded",
    "reclassified", "split_created", "reentry_created", "merged", "transferred",
}
KIND_GROUPS: dict[str, str] = {}


def register_kind(kind: str, label, *, describe=None, needs: str = "", group: str = "") -> None:
    """Let another app write timeline rows of `kind` with a label, a describer, a reading permission and the
    group the timeline page files it under (a key of `GROUP_LABELS`)."""
    KIND_LABELS[kind] = label
    if describe is not None:
        _EXTRA_DESCRIBERS[kind] = describe
    if needs:
        SUMMARY_PERMISSIONS[kind] = needs
    if group:
        if group not in GROUP_LABELS:
            raise ValueError(f"unknown timeline group {group!r}")
        KIND_GROUPS[kind] = group


def group_of(kind: str) -> str:
    """The timeline group of a kind: registered, else archive edits, else the lifecycle."""
    return KIND_GROUPS.get(kind) or ("archive" if kind in _ARCHIVE_KINDS else "lifecycle")


def kinds_in_group(group: str) -> set[str]:
    """Every kind known to be in `group` (for filtering rows in SQL)."""
    known = set(KIND_LABELS) | set(KIND_GROUPS)
    return {kind for kind in known if group_of(kind) == group}


# Household fields named in a "household_updated" row beyond which the row only says how many changed.
_FIELDS_NAMED = 4


def kind_label(kind: str, detail: dict | None = None) -> str:
    label = KIND_LABELS.get(kind)
    if label is not None:
        return str(label)
    stored = (detail or {}).get("action_label")
    return str(stored) if stored else kind.replace("_", " ").capitalize()


def _choice(choices, value) -> str:
    return str(choices(value).label) if value in choices.values else str(value or "")


def _category(code: str) -> str:
    from bangfu.registry.models.household import Category

    if not code:
        return gettext("not classified")
    return _choice(Category, code)


def _field_names(names) -> str:
    from django.core.exceptions import FieldDoesNotExist

    from bangfu.registry.models.household import Household

    names = list(names or [])
    if not names:
        return ""
    if len(names) > _FIELDS_NAMED:
        return ngettext("%(count)d field", "%(count)d fields", len(names)) % {"count": len(names)}
    shown = []
    for name in names:
        try:
            shown.append(str(Household._meta.get_field(name).verbose_name))
        except FieldDoesNotExist:
            shown.append(name)
    return gettext("Changed: %(fields)s") % {"fields": ", ".join(shown)}


def _money(value) -> str:
    from decimal import Decimal, InvalidOperation

    try:
        return f"{Decimal(str(value)):,.2f}"
    except (InvalidOperation, ValueError):
        return str(value)


def describe(kind: str, detail: dict) -> str:
    """The key detail of a timeline row in words, in the user's language ("" when there is none).

    Only what the row stores is shown: masked names, codes turned into labels, dates, counts — never an
    identity number (the rows never hold one)."""
    from bangfu.registry.models.codes import CodeList, code_label
    from bangfu.registry.models.evidence import ConsentKind
    from bangfu.registry.models.lifecycle import AppealDecision, ClosureKind, ExitReason, NoticePlace, ObjectionOutcome

    d = detail or {}
    if kind in _EXTRA_DESCRIBERS:
        return _EXTRA_DESCRIBERS[kind](d)
    if kind == "reclassified":
        return gettext("%(old)s → %(new)s") % {"old": _category(d.get("old_category")),
                                                "new": _category(d.get("new_category"))}
    if kind == "created":
        text = gettext("Archive number %(number)s") % {"number": d["archive_number"]} if d.get(
            "archive_number") else ""
        if d.get("applied_by_union"):
            text = (text + "; " if text else "") + gettext("opened by the union on the worker's behalf")
        return text
    if kind == "household_updated":
        return _field_names(d.get("fields"))
    if kind in ("member_added", "member_updated", "member_removed"):
        text = d.get("member", "")
        if d.get("relation"):
            text = f"{text} ({code_label(CodeList.RELATION, d['relation'])})"
        if kind == "member_removed" and d.get("reason"):
            text = f"{text}: {d['reason']}"
        return text
    if kind == "causes_set":
        text = gettext("Main cause: %(cause)s") % {"cause": code_label(CodeList.CAUSE, d.get("main", ""))}
        secondary = [code_label(CodeList.CAUSE, c) for c in d.get("secondary") or []]
        if secondary:
            text += "; " + gettext("secondary: %(causes)s") % {"causes": ", ".join(secondary)}
        return text
    if kind == "incomes_set":
        cells, cleared = int(d.get("cells") or 0), int(d.get("cleared") or 0)
        parts = []
        if d.get("first_month") and d.get("last_month"):
            parts.append(gettext("months %(first)s…%(last)s") % {"first": d["first_month"], "last": d["last_month"]})
        if cells:
            parts.append(ngettext("%(count)d monthly amount", "%(count)d monthly amounts", cells) % {"count": cells})
        if cleared:
            parts.append(ngettext("%(count)d amount cleared", "%(count)d amounts cleared", cleared)
                         % {"count": cleared})
        return "; ".join(parts)
    if kind in ("expense_added", "expense_removed"):
        return gettext("%(kind)s, %(amount)s yuan") % {
            "kind": code_label(CodeList.EXPENSE_KIND, d.get("expense_kind", "")), "amount": _money(d.get("amount"))}
    if kind == "attachment_added":
        return code_label(CodeList.EVIDENCE, d.get("document", "")) if d.get("document") else ""
    if kind == "consent_recorded":
        return _choice(ConsentKind, d.get("consent")) if d.get("consent") else ""
    if kind == "submit":
        return gettext("by the union on the worker's behalf") if d.get("by_union") else gettext("by the worker")
    if kind == "home_visit":
        return gettext("Visited on %(date)s by %(visitors)s") % {"date": d.get("visited_on", ""),
                                                                 "visitors": d.get("visitors", "")}
    if kind == "economic_check_waive":
        return ""
    if kind == "notice_start":
        period = gettext("%(start)s – %(end)s") % {"start": d.get("starts_on", ""), "end": d.get("ends_on", "")}
        place = {NoticePlace.WORKPLACE: gettext("posted at the workplace"),
                 NoticePlace.COMMUNITY: gettext("posted in the community")}.get(d.get("place"), "")
        return f"{period}; {place}" if place else period
    if kind == "notice_objection":
        return gettext("received on %(date)s") % {"date": d.get("received_on", "")}
    if kind == "notice_objection_decide":
        return _choice(ObjectionOutcome, d.get("outcome")) if d.get("outcome") else ""
    if kind == "approve":
        return gettext("next review due %(date)s") % {"date": d["review_due_on"]} if d.get("review_due_on") else ""
    if kind == "refuse":
        return gettext("applicant to be told by %(date)s") % {"date": d["notify_by"]} if d.get("notify_by") else ""
    if kind == "refusal_notified":
        text = gettext("told on %(date)s") % {"date": d.get("notified_on", "")}
        if d.get("in_time") is False:
            text += " · " + gettext("later than the deadline")
        return text
    if kind == "review":
        return gettext("reviewed on %(date)s; next review due %(due)s") % {
            "date": d.get("reviewed_on", ""), "due": d.get("review_due_on", "")}
    if kind == "exit":
        text = _choice(ExitReason, d.get("exit_reason")) if d.get("exit_reason") else ""
        if d.get("monitor_until"):
            text += ("; " if text else "") + gettext("relapse monitoring until %(date)s") % {
                "date": d["monitor_until"]}
        return text
    if kind == "appeal_file":
        against = {ClosureKind.REFUSAL: gettext("against the refusal"),
                   ClosureKind.EXIT: gettext("against the exit")}.get(d.get("against"), "")
        if d.get("by_worker"):
            against = (against + "; " if against else "") + gettext("filed by the worker")
        return against
    if kind == "appeal_decide":
        return _choice(AppealDecision, d.get("decision")) if d.get("decision") else ""
    if kind in ("transfer", "transferred"):
        if d.get("from_org") and d.get("to_org"):
            return gettext("from %(source)s to %(target)s") % {"source": d["from_org"], "target": d["to_org"]}
        return ""
    if kind == "change_head":
        if d.get("old_head"):
            return gettext("from %(old)s to %(new)s") % {"old": d["old_head"], "new": d.get("new_head", "")}
        return d.get("new_head", "")
    if kind == "split":
        return ngettext("new archive %(number)s with %(count)d member",
                        "new archive %(number)s with %(count)d members", int(d.get("members_moved") or 0)) % {
            "number": d.get("new_archive", ""), "count": int(d.get("members_moved") or 0)}
    if kind == "merge":
        return ngettext("archive %(number)s merged in with %(count)d member",
                        "archive %(number)s merged in with %(count)d members", int(d.get("members_moved") or 0)) % {
            "number": d.get("merged", ""), "count": int(d.get("members_moved") or 0)}
    if kind == "reenter":
        return gettext("new archive %(number)s") % {"number": d.get("new_archive", "")}
    if kind == "split_created":
        return gettext("split off archive %(number)s") % {"number": d.get("split_from", "")}
    if kind == "reentry_created":
        return gettext("continues archive %(number)s") % {"number": d.get("previous_archive", "")}
    if kind == "merged":
        return gettext("merged into archive %(number)s") % {"number": d.get("merged_into", "")}
    return ""


class TimelineEvent(models.Model):
    """Append-only: who did what to the archive, when, from which state to which, and why.

    `kind` is a short machine name (e.g. "created", "transition", "member_added", "reclassified");
    `detail` carries the numbers (never clear identity numbers: masked values only).

    The household link has no database constraint: bulk jobs write hundreds of thousands of rows at once (a
    cross-check run, an import), each for a household the same statement has just read, and PostgreSQL's check
    of each row at COMMIT locks its household row (FOR KEY SHARE): 200,000 findings' rows cost 1.5 s of a run.
    Archives are never deleted (they are closed and kept), and the ORM still cascades if one ever is.
    """

    scope_org_path = "household__org__path"

    household = models.ForeignKey(
        "registry.Household", verbose_name=_("household"), on_delete=models.CASCADE, related_name="timeline",
        db_constraint=False,
    )
    kind = models.CharField(_("event"), max_length=32)
    from_state = models.CharField(_("from state"), max_length=16, blank=True)
    to_state = models.CharField(_("to state"), max_length=16, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    actor_org = models.ForeignKey(
        "orgs.Org", verbose_name=_("union of the actor"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)

    objects = HouseholdPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")
        ordering = ["household_id", "-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.label}"

    @property
    def label(self) -> str:
        """What happened, in the user's language (see KIND_LABELS)."""
        return kind_label(self.kind, self.detail)

    @property
    def summary(self) -> str:
        """The key detail in words (e.g. "Marginal household → Minimum-living household")."""
        return describe(self.kind, self.detail)


def record_event(household, kind: str, *, actor=None, reason: str = "", from_state: str = "", to_state: str = "",
                 **detail) -> TimelineEvent:
    """Write one timeline row; the actor defaults to the user of the current action context."""
    ctx = context.current()
    actor_id = getattr(actor, "pk", None) if actor is not None else ctx.user_id
    actor_org_id = getattr(actor, "org_id", None) if actor is not None else ctx.org_id
    return TimelineEvent.objects.create(
        household=household, kind=kind, reason=reason, from_state=from_state, to_state=to_state,
        detail=detail, actor_id=actor_id, actor_org_id=actor_org_id,
    )
