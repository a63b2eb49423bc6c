"""Named, atomic functions that restructure archives (DOMAIN.md §3): transfer between unions, change of
head, split, merge and re-entry. Same frame as `services.lifecycle` (scope → 404, the transition table's
row → ValidationError, data → field-level ValidationError, one timeline row per archive touched) and the
history is kept: moved members keep their rows (and incomes), new archives link to the old one
(`split_from`, `previous_archive`), a merged archive stays as MERGED with `merged_into`.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu.registry import classification
from bangfu.registry.models import (
    AssetDeclaration,
    Attachment,
    Closure,
    ClosureKind,
    Consent,
    Expense,
    Household,
    HouseholdCause,
    Member,
    MonthlyIncome,
    State,
    Transfer,
    record_event,
)
from bangfu.registry.services.lifecycle import _raise, _required, begin, finish, sync_open_identity, today

# Household fields a new archive (split, re-entry) takes over from the one it comes from.
COPIED_HOUSEHOLD_FIELDS = (
    "org", "archive_level", "is_temporary_relief", "division", "registration_division", "address", "housing_type",
    "housing_area", "single_parent", "zero_employment", "some_self_help_ability", "on_minimum_living_roster",
    "below_line_after_government_aid", "is_migrant_worker", "urgent_care", "bank_name", "bank_account",
    "bank_account_holder", "bank_account_last4", "scheme",
)
_NOT_COPIED_MEMBER_FIELDS = {"id", "household", "open_identity_hash", "created_at", "updated_at"}


def _new_archive(source: Household, actor, **fields) -> Household:
    from bangfu.registry.services.archive import _next_archive_number

    new = Household(
        **{name: getattr(source, name) for name in COPIED_HOUSEHOLD_FIELDS},
        archive_number=_next_archive_number(source.org, today().year), state=State.DRAFT,
        created_by=actor if getattr(actor, "pk", None) else None, **fields,
    )
    new.save()
    AssetDeclaration.objects.create(household=new)
    return new


def _copy_causes(source: Household, target: Household) -> None:
    HouseholdCause.objects.bulk_create(
        [HouseholdCause(household=target, code=c.code, is_main=c.is_main) for c in source.causes.all()]
    )


def _after(household: Household) -> None:
    from bangfu.registry.services.archive import refresh_denormalised

    refresh_denormalised(household)
    classification.refresh(household)


def _member_of(household: Household, member, field: str, errors: dict) -> Member | None:
    member_id = getattr(member, "pk", member)
    found = household.members.filter(pk=member_id).first() if member_id else None
    if found is None:
        errors.setdefault(field, []).append(_("Choose a member of this household."))
    return found


# --- transfer -----------------------------------------------------------------------------------------


@transaction.atomic
def household_transfer(household, *, actor, to_org, reason: str) -> Transfer:
    """Move the archive to another union the actor may see; both unions see the transfer record."""
    from bangfu.orgs.models import Org

    household, row = begin(household, "transfer", actor)
    errors: dict = {}
    reason = _required(errors, reason, "reason", _("Give the reason for the transfer."))
    org_id = getattr(to_org, "pk", to_org)
    target = Org.objects.restrict(actor, "view").filter(pk=org_id, is_active=True).first() if org_id else None
    if target is None:
        errors.setdefault("to_org", []).append(_("Choose a union within your part of the tree."))
    elif target.pk == household.org_id:
        errors.setdefault("to_org", []).append(_("The archive already belongs to this union."))
    _raise(errors)
    source_org = household.org
    transfer = Transfer.objects.create(household=household, from_org=source_org, to_org=target,
                                      name_masked=household.head_name_masked, reason=reason, on=today(), by=actor)
    household.org = target
    finish(household, row, actor, from_state=household.state, reason=reason, save_fields=("org",),
           from_org=source_org.name, to_org=target.name, transfer=transfer.pk)
    return transfer


# --- change of head -----------------------------------------------------------------------------------


@transaction.atomic
def household_change_head(household, *, actor, new_head, reason: str, old_head_relation: str = "other") -> Member:
    """Another member becomes head (the head died or left); the archive continues."""
    from bangfu.registry.models.codes import validate_code

    household, row = begin(household, "change_head", actor)
    errors: dict = {}
    reason = _required(errors, reason, "reason", _("Give the reason for the change of head."))
    member = _member_of(household, new_head, "new_head", errors)
    if member is not None and member.is_head:
        errors.setdefault("new_head", []).append(_("This member is already the head."))
    if old_head_relation == "self":
        errors.setdefault("old_head_relation", []).append(
            _("Only the head's relation is “self”; choose the relation to the head.")
        )
    else:
        try:
            validate_code("relation", old_head_relation)
        except ValidationError as error:
            errors.setdefault("old_head_relation", []).extend(error.messages)
    _raise(errors)
    old = household.members.filter(is_head=True).first()
    if old is not None:
        Member.objects.filter(pk=old.pk).update(is_head=False, relation=old_head_relation, updated_at=timezone.now())
    Member.objects.filter(pk=member.pk).update(is_head=True, relation="self", updated_at=timezone.now())
    _after(household)
    finish(household, row, actor, from_state=household.state, reason=reason,
           old_head=old.name_masked if old else "", new_head=member.name_masked)
    return member


# --- split and merge ----------------------------------------------------------------------------------


def _move_members(member_ids, target: Household) -> None:
    """Members with their incomes, expenses, attachments and consents move to `target` (set-based)."""
    Member.objects.filter(pk__in=member_ids).update(household=target, is_head=False, updated_at=timezone.now())
    MonthlyIncome.objects.filter(member_id__in=member_ids).update(household=target)
    Expense.objects.filter(member_id__in=member_ids).update(household=target)
    Attachment.objects.filter(member_id__in=member_ids).update(household=target)
    Consent.objects.filter(member_id__in=member_ids).update(household=target)


@transaction.atomic
def household_split(household, *, actor, members, new_head, reason: str) -> Household:
    """Some members leave as a new household: a new archive (draft, `split_from`) with them as its people."""
    household, row = begin(household, "split", actor)
    errors: dict = {}
    reason = _required(errors, reason, "reason", _("Give the reason for the split."))
    ids = {getattr(m, "pk", m) for m in members or [] if m}
    found = list(household.members.filter(pk__in=ids).values_list("pk", "is_head"))
    if not ids:
        errors.setdefault("members", []).append(_("Choose the members who form the new household."))
    elif len(found) != len(ids):
        errors.setdefault("members", []).append(_("Choose members of this household only."))
    elif any(is_head for _pk, is_head in found):
        errors.setdefault("members", []).append(
            _("The head stays with this archive: change the head first if they are the one leaving.")
        )
    head_id = getattr(new_head, "pk", new_head)
    if ids and head_id not in ids:
        errors.setdefault("new_head", []).append(_("The new head must be one of the members who leave."))
    _raise(errors)
    new = _new_archive(household, actor, split_from=household)
    _copy_causes(household, new)
    _move_members(ids, new)
    Member.objects.filter(pk=head_id).update(is_head=True, relation="self")
    sync_open_identity(new, actor=actor)
    _after(household)
    _after(new)
    record_event(new, "split_created", actor=actor, reason=reason, to_state=new.state,
                 split_from=household.archive_number)
    finish(household, row, actor, from_state=household.state, reason=reason, new_archive=new.archive_number,
           members_moved=len(ids))
    return new


@transaction.atomic
def household_merge(household, *, actor, other, reason: str) -> Household:
    """`other` joins this household: its members move here, it becomes MERGED with `merged_into`."""
    household, row = begin(household, "merge", actor)
    errors: dict = {}
    reason = _required(errors, reason, "reason", _("Give the reason for the merge."))
    other_id = getattr(other, "pk", other)
    source = (
        Household.objects.restrict(actor, "transition").select_for_update().filter(pk=other_id).first()
        if other_id else None
    )
    if source is None or source.pk == household.pk:
        errors.setdefault("other", []).append(_("Choose another archive within your part of the tree."))
    elif source.state == State.MERGED:
        errors.setdefault("other", []).append(_("That archive has already been merged into another one."))
    elif source.anonymised_at is not None:
        errors.setdefault("other", []).append(_("That archive has been anonymised."))
    else:
        shared = set(source.members.values_list("identity_hash", flat=True)) & set(
            household.members.values_list("identity_hash", flat=True)
        )
        if shared:
            errors.setdefault("other", []).append(
                _("A person is a member of both archives: remove them from one of them first.")
            )
    _raise(errors)
    source_state = source.state
    member_ids = list(source.members.values_list("pk", flat=True))
    _move_members(member_ids, household)
    Member.objects.filter(pk__in=member_ids, relation="self").update(relation="other")
    Attachment.objects.filter(household=source, member=None).update(household=household)
    Closure.objects.create(household=source, kind=ClosureKind.MERGE, from_state=source_state, reason=reason,
                           closed_on=today(), by=actor, org=actor.org)
    Household.objects.filter(pk=source.pk).update(state=State.MERGED, merged_into=household,
                                                  household_size=0, updated_at=timezone.now())
    source.state = State.MERGED
    sync_open_identity(household, actor=actor)  # refuses if a moved person is open elsewhere: all rolls back
    _after(household)
    record_event(source, "merged", actor=actor, reason=reason, from_state=source_state, to_state=State.MERGED,
                 merged_into=household.archive_number)
    finish(household, row, actor, from_state=household.state, reason=reason, merged=source.archive_number,
           members_moved=len(member_ids))
    return household


# --- re-entry -----------------------------------------------------------------------------------------


@transaction.atomic
def household_reenter(old, *, actor, reason: str) -> Household:
    """A closed household applies again: a new archive (draft) linked by `previous_archive`, people copied.

    Refused when one of its people is in another open archive (one open archive per person).
    """
    old, row = begin(old, "reenter", actor)
    errors: dict = {}
    reason = _required(errors, reason, "reason", _("Give the reason for the re-entry."))
    if old.anonymised_at is not None:
        errors.setdefault("__all__", []).append(_("This archive has been anonymised and cannot be re-opened."))
    _raise(errors)
    new = _new_archive(old, actor, previous_archive=old)
    _copy_causes(old, new)
    copies = []
    for member in old.members.all():
        copy = Member(household=new)
        for f in Member._meta.concrete_fields:
            if f.name not in _NOT_COPIED_MEMBER_FIELDS:
                setattr(copy, f.attname, getattr(member, f.attname))
        copies.append(copy)
    Member.objects.bulk_create(copies)
    sync_open_identity(new, actor=actor)
    _after(new)
    record_event(new, "reentry_created", actor=actor, reason=reason, to_state=new.state,
                 previous_archive=old.archive_number)
    finish(old, row, actor, from_state=old.state, reason=reason, new_archive=new.archive_number)
    return new
