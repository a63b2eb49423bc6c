"""Named, atomic write functions for the archive (DOMAIN.md §2, §9): household, members, identities,
causes, incomes, expenses, assets and consents.

Forms, the API and imports call these functions and nothing else to change an archive, so the same
input is refused the same way everywhere. Every function:

* refuses a closed archive (`ensure_editable`): exited, refused, cancelled and merged archives are read-only;
* raises `django.core.exceptions.ValidationError` with field-level messages (dict form) and writes
  nothing on refusal (each runs in one transaction);
* keeps the denormalised columns up to date (`household_size`, `head_name_masked`, `head_name_initials`,
  each member's `name_initials`), re-runs the classification (`classification.refresh`) and writes one
  row on the household's timeline (`record_event`, masked values only).

Identity numbers go through `bangfu.core.identity.parse_identity`; errors refuse, warnings are stored on
the member (`identity_warnings`) and shown. While a household is open (`OPEN_STATES`) each member's
`open_identity_hash` is set; its unique constraint keeps one person in at most one open archive nationwide.
`sync_open_identity(household)` sets or clears those hashes after a state change: the lifecycle calls it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu.core.identity import DocumentType, compare_with_register, parse_identity
from bangfu.core.masking import mask_name
from bangfu.core.months import month_starts
from bangfu.registry import classification
from bangfu.registry.models import (
    CLOSED_STATES,
    OPEN_STATES,
    ArchiveLevel,
    AssetDeclaration,
    CodeItem,
    CodeList,
    Consent,
    ConsentKind,
    Expense,
    Household,
    HouseholdCause,
    Member,
    MonthlyIncome,
    Sex,
    State,
    record_event,
)
from bangfu.registry.models.codes import validate_code
from bangfu.registry.search import initials

MAX_SECONDARY_CAUSES = 3
INCOME_MONTHS_BACK = 24
GUARDIAN_AGE = 14
# Citizens apply for a resident ID card at 16: a birth certificate stands in for a child's ID only.
BIRTH_CERTIFICATE_UNDER = 16
# Signatures, declarations and procedure dates before this are typing errors (e.g. "0201" for "2021").
EARLIEST_RECORD_DATE = dt.date(2000, 1, 1)

# Which code list each coded field takes its values from.
MEMBER_CODE_FIELDS = {
    "relation": CodeList.RELATION,
    "health": CodeList.HEALTH,
    "disability_type": CodeList.DISABILITY_TYPE,
    "work_status": CodeList.WORK_STATUS,
    "school_stage": CodeList.SCHOOL_STAGE,
    "medical_insurance": CodeList.MEDICAL_INSURANCE,
    "marital_status": CodeList.MARITAL,
    "hukou_type": CodeList.HUKOU,
    "ethnicity": CodeList.ETHNICITY,
    "political_status": CodeList.POLITICAL,
    "model_worker_level": CodeList.MODEL_WORKER,
    "industry": CodeList.INDUSTRY,
    "employer_type": CodeList.EMPLOYER_TYPE,
}
HOUSEHOLD_CODE_FIELDS = {"housing_type": CodeList.HOUSING}

# Fields a caller may set through the write functions (everything else is the system's).
MEMBER_FIELDS = (
    "relation", "name", "sex", "birth_date", "health", "diagnosis", "disability_type", "disability_grade",
    "work_status", "able_to_work", "is_student", "school_stage", "school_name", "school_entry_year",
    "school_length_years", "evidence_of_no_income", "medical_insurance", "marital_status", "hukou_type",
    "monthly_income_declared", "worker_number", "ethnicity", "political_status", "model_worker_level",
    "work_started_on", "industry", "employer_name", "employer_type", "is_union_member", "lives_in_city",
    "labour_relation_since",
)
HOUSEHOLD_FIELDS = (
    "division", "registration_division", "address", "housing_type", "housing_area", "single_parent",
    "zero_employment", "some_self_help_ability", "on_minimum_living_roster", "below_line_after_government_aid",
    "is_migrant_worker", "urgent_care", "bank_name",
    "bank_account_holder", "is_temporary_relief", "applied_by_union", "remarks",
)


# --- helpers ------------------------------------------------------------------------------------------


def today() -> dt.date:
    return timezone.localdate()


def ensure_editable(household: Household) -> None:
    """Closed archives are kept read-only (DOMAIN.md §3)."""
    if household.state in CLOSED_STATES:
        raise ValidationError(
            _("This archive is closed (%(state)s) and read-only: it can no longer be changed.")
            % {"state": household.get_state_display()},
            code="closed",
        )


def _lock(household: Household) -> Household:
    """Re-read the household under a row lock, so concurrent edits of one archive queue up."""
    locked = Household.objects.select_for_update().get(pk=household.pk)
    ensure_editable(locked)
    return locked


def _merge(errors: dict, field: str, message) -> None:
    errors.setdefault(field, []).append(message)


def _check_codes(obj, fields: dict, errors: dict, code_sets: dict | None = None) -> None:
    """`code_sets` ({code list: set of active codes}, preloaded by bulk imports) skips the query for a
    value found in it; any other value is checked (and refused) by `validate_code` as always."""
    for field, code_list in fields.items():
        value = getattr(obj, field, "")
        if code_sets is not None and (value in (None, "") or value in code_sets.get(code_list, ())):
            continue
        try:
            validate_code(code_list, value, field_label=obj._meta.get_field(field).verbose_name)
        except ValidationError as error:
            errors.setdefault(field, []).extend(error.messages)


def _full_clean(obj, errors: dict, exclude=()) -> None:
    try:
        obj.full_clean(exclude=list(exclude), validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault(field, []).extend(messages)


def _not_future(value, field: str, errors: dict) -> None:
    if value and value > today():
        _merge(errors, field, _("This date is in the future."))


def plausible_record_date(value, field: str, errors: dict) -> None:
    """A date of a signature, declaration or procedure step: not before EARLIEST_RECORD_DATE."""
    if value and value < EARLIEST_RECORD_DATE:
        _merge(errors, field, _("This date is implausibly early: enter a date from %(date)s on.")
               % {"date": EARLIEST_RECORD_DATE.isoformat()})


def _raise(errors: dict) -> None:
    if errors:
        raise ValidationError(errors)


def refresh_denormalised(household: Household) -> None:
    """Household size and the head's masked name and initials, from the member rows (two queries)."""
    head = household.members.filter(is_head=True).only("name").first()
    Household.objects.filter(pk=household.pk).update(
        household_size=max(household.members.count(), 1),
        head_name_masked=mask_name(head.name) if head else "",
        head_name_initials=initials(head.name) if head else "",
        updated_at=timezone.now(),
    )
    household.refresh_from_db(fields=["household_size", "head_name_masked", "head_name_initials", "updated_at"])


def _after_change(household: Household, event: str, **detail) -> None:
    refresh_denormalised(household)
    classification.refresh(household)
    record_event(household, event, **detail)


def is_under(birth_date: dt.date | None, years: int, on: dt.date | None = None) -> bool:
    if not birth_date:
        return False
    on = on or today()
    age = on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))
    return age < years


# --- identity -----------------------------------------------------------------------------------------


def _known_area(code: str) -> bool:
    from bangfu.orgs.models import Division

    return Division.objects.filter(pk=code).exists()


def describe_open_archive(other: Household, user) -> str:
    """The refusal for a person already in an open archive: names it only if the user may see it."""
    visible = user is not None and Household.objects.restrict(user, "view").filter(pk=other.pk).exists()
    if visible:
        return _("This person is already in an open archive (%(number)s of %(union)s).") % {
            "number": other.archive_number, "union": other.org.name,
        }
    return _("This person is already in an open archive of another union.")


def _open_archive_of(identity_hash: str, *, exclude_household_id=None) -> Household | None:
    rows = Member.objects.filter(open_identity_hash=identity_hash)
    if exclude_household_id:
        rows = rows.exclude(household_id=exclude_household_id)
    row = rows.select_related("household__org").first()
    return row.household if row else None


def apply_identity(member: Member, document_type: str, raw, *, household: Household, actor=None,
                   errors: dict) -> None:
    """Check and set the member's identity number (and derive sex/birth date where not typed in)."""
    if document_type not in {choice for choice, _label in DocumentType.CHOICES}:
        _merge(errors, "document_type", _("Choose an identity document type."))
        return
    check = parse_identity(document_type, raw, known_area=_known_area)
    if not check.ok:
        errors.setdefault("identity_number", []).extend(check.errors)
        return
    if not member.sex and check.sex:
        member.sex = check.sex
    if not member.birth_date and check.birth_date:
        member.birth_date = check.birth_date
    warnings = list(check.warnings) + compare_with_register(check, sex=member.sex, birth_date=member.birth_date)
    member.document_type = document_type
    member.set_identity(check.value)
    member.identity_warnings = warnings
    same_household = Member.objects.filter(household_id=household.pk, identity_hash=member.identity_hash)
    if member.pk:
        same_household = same_household.exclude(pk=member.pk)
    if household.pk and same_household.exists():
        _merge(errors, "identity_number", _("This person is already a member of this household."))
        return
    if household.state in OPEN_STATES:
        other = _open_archive_of(member.identity_hash, exclude_household_id=household.pk)
        if other is not None:
            _merge(errors, "identity_number", describe_open_archive(other, actor))
            return
        member.open_identity_hash = member.identity_hash
    else:
        member.open_identity_hash = None


def _save_member(member: Member, household: Household, actor) -> None:
    """Save, turning a lost race on the nationwide uniqueness into the same field-level refusal."""
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError:
        other = _open_archive_of(member.identity_hash, exclude_household_id=household.pk)
        if other is not None:
            raise ValidationError({"identity_number": [describe_open_archive(other, actor)]}) from None
        raise ValidationError({"identity_number": [_("This person is already a member of this household.")]}) \
            from None


@transaction.atomic
def sync_open_identity(household: Household, *, actor=None) -> None:
    """Set (open state) or clear (closed state) every member's `open_identity_hash`.

    Call it after any change of `household.state` (the lifecycle does, inside its transaction). Moving a
    household into an open state while one of its people is in another open archive is refused with
    the same field-level message as the member forms (under "identity_number"), and nothing is changed.
    """
    members = Member.objects.filter(household=household)
    if household.state not in OPEN_STATES:
        members.exclude(open_identity_hash=None).update(open_identity_hash=None)
        return
    clash = (
        Member.objects.filter(open_identity_hash__in=members.values("identity_hash"))
        .exclude(household=household).select_related("household__org").first()
    )
    if clash is not None:
        raise ValidationError({"identity_number": [describe_open_archive(clash.household, actor)]})
    try:
        with transaction.atomic():
            for member in members.filter(open_identity_hash=None).only("pk", "identity_hash"):
                Member.objects.filter(pk=member.pk).update(open_identity_hash=member.identity_hash)
    except IntegrityError:
        raise ValidationError(
            {"identity_number": [_("This person is already in an open archive of another union.")]}
        ) from None


# --- household ----------------------------------------------------------------------------------------


def _next_archive_number(org, year: int) -> str:
    prefix = f"{org.code}-{year}-"
    numbers = Household.objects.filter(archive_number__startswith=prefix).values_list("archive_number", flat=True)
    highest = 0
    for number in numbers.order_by("-archive_number")[:1]:
        try:
            highest = int(number.rsplit("-", 1)[1])
        except (IndexError, ValueError):
            highest = 0
    return f"{prefix}{highest + 1:05d}"


def _set_bank_account(household: Household, raw: str | None, errors: dict) -> None:
    if raw is None:
        return
    digits = "".join(str(raw).split())
    if not digits:
        household.bank_account = ""
        household.bank_account_last4 = ""
        return
    if not digits.isdigit() or not 12 <= len(digits) <= 30:
        _merge(errors, "bank_account", _("A bank card or account number has 12 to 30 digits."))
        return
    household.bank_account = digits
    household.bank_account_last4 = digits[-4:]


def _apply_household_fields(household: Household, data: dict, errors: dict, *, known_area=None,
                            code_sets: dict | None = None) -> None:
    """Set and check the household facts of `data` (DB-free when `known_area` and `code_sets` are given:
    bulk imports pass preloaded sets, so every row is checked by this same function)."""
    known_area = known_area or _known_area
    for field in HOUSEHOLD_FIELDS:
        if field in data:
            value = data[field]
            if field in ("division", "registration_division"):
                code = getattr(value, "pk", value) or None
                if code is not None and not hasattr(value, "pk") and not known_area(str(code)):
                    _merge(errors, field, _("Unknown division code."))
                    continue
                setattr(household, f"{field}_id", code)
            else:
                setattr(household, field, "" if value is None and field in
                        ("address", "housing_type", "bank_name", "bank_account_holder", "remarks") else value)
    if "bank_account" in data:
        _set_bank_account(household, data.get("bank_account"), errors)
    _check_codes(household, HOUSEHOLD_CODE_FIELDS, errors, code_sets)


def _apply_member_fields(member: Member, data: dict, errors: dict, *, code_sets: dict | None = None) -> None:
    for field in MEMBER_FIELDS:
        if field in data:
            value = data[field]
            if value is None and field in ("health", "diagnosis", "disability_type", "work_status",
                                           "school_stage", "school_name", "medical_insurance",
                                           "marital_status", "hukou_type", "worker_number", "ethnicity",
                                           "political_status", "model_worker_level", "industry",
                                           "employer_name", "employer_type", "relation", "name", "sex"):
                value = ""
            if field == "name" and isinstance(value, str):
                value = value.strip()
            setattr(member, field, value)
    if "phone" in data:
        phone = "".join(str(data.get("phone") or "").split())
        if phone and (not phone.lstrip("+").replace("-", "").isdigit() or not 7 <= len(phone) <= 20):
            _merge(errors, "phone", _("Enter a phone number of 7 to 20 digits."))
        else:
            member.set_phone(phone)
    member.name_initials = initials(member.name)
    if member.name == "" and "name" in data:
        _merge(errors, "name", _("Enter the name."))
    if member.sex and member.sex not in Sex.values:
        _merge(errors, "sex", _("Choose male or female."))
    _not_future(member.birth_date, "birth_date", errors)
    _not_future(member.work_started_on, "work_started_on", errors)
    _not_future(member.labour_relation_since, "labour_relation_since", errors)
    if member.birth_date and member.birth_date.year < 1900:
        _merge(errors, "birth_date", _("This birth date is not plausible."))
    if member.school_entry_year and not 1900 <= member.school_entry_year <= today().year:
        _merge(errors, "school_entry_year", _("Enter a year between 1900 and this year."))
    if member.disability_grade and not member.disability_type:
        _merge(errors, "disability_type", _("Choose the disability type for the grade given."))
    _check_codes(member, MEMBER_CODE_FIELDS, errors, code_sets)


def _check_after_identity(member: Member, errors: dict, *, document_changed: bool = True) -> None:
    """Rules that need the birth date, which may have been read from the identity number. The birth
    certificate rule is checked when the document or the birth date is being set (a child on file with a
    birth certificate who turns 16 can still be edited until the ID card is entered)."""
    birth = member.birth_date
    if birth and not isinstance(birth, dt.datetime) and isinstance(birth, dt.date):
        for field in ("work_started_on", "labour_relation_since"):
            value = getattr(member, field)
            if isinstance(value, dt.date) and value < birth and field not in errors:
                _merge(errors, field, _("This date is before the person's birth date."))
        year = member.school_entry_year
        if isinstance(year, int) and year < birth.year and "school_entry_year" not in errors:
            _merge(errors, "school_entry_year", _("This year is before the person's birth year."))
        if (document_changed and member.document_type == DocumentType.BIRTH_CERTIFICATE
                and "identity_number" not in errors
                and not is_under(birth, BIRTH_CERTIFICATE_UNDER)):
            _merge(errors, "document_type", _(
                "A birth certificate stands in for the ID card of a child under %(age)d only: enter this "
                "person's ID card or residence permit."
            ) % {"age": BIRTH_CERTIFICATE_UNDER})


def check_new_member_role(member, *, is_head: bool, errors: dict) -> None:
    """A new member's relation to the head and name (DB-free; bulk imports call it on each row)."""
    if is_head:
        member.relation = "self"
    elif member.relation == "self":
        _merge(errors, "relation", _("Only the head's relation is “self”; choose the relation to the head."))
    elif not member.relation:
        _merge(errors, "relation", _("Choose the relation to the head."))
    if not member.name:
        _merge(errors, "name", _("Enter the name."))


def check_read_from_document(member, errors: dict) -> bool:
    """Sex and birth date must be typed in or read from the document; returns whether the number was
    refused (a refused number is the one message to fix: sex and birth date are read from it once it is
    right)."""
    number_refused = "identity_number" in errors or "document_type" in errors
    if not member.sex and not number_refused:
        _merge(errors, "sex", _("Choose the sex (it could not be read from the document)."))
    if not member.birth_date and not number_refused:
        _merge(errors, "birth_date", _("Enter the birth date (it could not be read from the document)."))
    return number_refused


def _build_member(household: Household, data: dict, *, actor, is_head: bool, errors: dict) -> Member:
    member = Member(household=household, is_head=is_head, relation="self" if is_head else "")
    _apply_member_fields(member, data, errors)
    check_new_member_role(member, is_head=is_head, errors=errors)
    apply_identity(member, data.get("document_type") or DocumentType.RESIDENT_ID, data.get("identity_number"),
                   household=household, actor=actor, errors=errors)
    number_refused = check_read_from_document(member, errors)
    _check_after_identity(member, errors)
    _full_clean(member, errors, exclude=("household", "identity_hash", "identity_masked", "identity_number",
                                         "open_identity_hash", "identity_warnings", *errors,
                                         *(("sex", "birth_date") if number_refused else ())))
    return member


@transaction.atomic
def household_create(actor, org, data: dict, head: dict) -> Household:
    """Open a new archive (state DRAFT) with its head; the archive number is generated.

    `data`: household facts (see HOUSEHOLD_FIELDS; `division` required, `archive_level` optional and
    not above the creating union's level, `applied_by_union`); `head`: the head's member facts including
    `document_type` and `identity_number`.
    """
    errors: dict = {}
    creating_org = getattr(actor, "org", None) or org
    level = data.get("archive_level")
    if level in (None, ""):
        level = min(org.level, ArchiveLevel.GRASSROOTS)
    try:
        level = int(level)
    except (TypeError, ValueError):
        level = -1
    if not getattr(org, "is_active", True):
        _merge(errors, "org", _("This union has been dissolved: open the archive at the union that took over."))
    if level not in ArchiveLevel.values:
        _merge(errors, "archive_level", _("Choose an archive level."))
    elif level < creating_org.level:
        _merge(errors, "archive_level", _("The archive level cannot be above the level of the creating union."))
    household = Household(org=org, archive_level=level if level in ArchiveLevel.values else 4,
                          state=State.DRAFT, created_by=actor if getattr(actor, "pk", None) else None)
    _apply_household_fields(household, data, errors)
    if not household.division_id and "division" not in errors:
        _merge(errors, "division", _("Choose the division where the family lives."))
    head_errors: dict = {}
    head_member = _build_member(household, head, actor=actor, is_head=True, errors=head_errors)
    for field, messages in head_errors.items():  # member and household field names do not overlap
        errors.setdefault(field, []).extend(messages)
    _full_clean(household, errors, exclude=("org", "archive_number", "created_by", *errors))
    _raise(errors)

    year = today().year
    for _attempt in range(5):
        household.archive_number = _next_archive_number(org, year)
        try:
            with transaction.atomic():
                household.save()
            break
        except IntegrityError:
            household.pk = None
            continue
    else:  # pragma: no cover - five concurrent creations in one union at the same instant
        raise ValidationError({"archive_number": [_("Could not allocate an archive number; try again.")]})
    head_member.household = household
    _save_member(head_member, household, actor)
    AssetDeclaration.objects.create(household=household)
    _after_change(household, "created", archive_number=household.archive_number,
                  applied_by_union=household.applied_by_union, archive_level=household.archive_level)
    return household


@transaction.atomic
def household_update(actor, household: Household, data: dict) -> Household:
    """Change the household facts (not its state, org or number: the lifecycle owns those)."""
    household = _lock(household)
    errors: dict = {}
    _apply_household_fields(household, data, errors)
    if not household.division_id and "division" not in errors:
        _merge(errors, "division", _("Choose the division where the family lives."))
    _full_clean(household, errors, exclude=("org", "archive_number", "created_by", "previous_archive",
                                             "split_from", "merged_into", *errors))
    _raise(errors)
    household.save()
    _after_change(household, "household_updated", fields=sorted(k for k in data if k in HOUSEHOLD_FIELDS
                                                                 or k == "bank_account"))
    return household


# --- members ------------------------------------------------------------------------------------------


@transaction.atomic
def member_add(actor, household: Household, data: dict) -> Member:
    household = _lock(household)
    errors: dict = {}
    member = _build_member(household, data, actor=actor, is_head=False, errors=errors)
    _raise(errors)
    _save_member(member, household, actor)
    _after_change(household, "member_added", member=member.name_masked, relation=member.relation)
    return member


@transaction.atomic
def member_update(actor, member: Member, data: dict) -> Member:
    """Change a member's facts; a new identity number is checked like a new member's."""
    household = _lock(member.household)
    member = Member.objects.get(pk=member.pk)
    errors: dict = {}
    was_head = member.is_head
    before = (member.document_type, member.birth_date)
    _apply_member_fields(member, data, errors)
    if was_head:
        member.relation = "self"
    elif member.relation == "self":
        _merge(errors, "relation", _("Only the head's relation is “self”; choose the relation to the head."))
    raw = data.get("identity_number")
    document_type = data.get("document_type") or member.document_type
    if raw not in (None, ""):
        apply_identity(member, document_type, raw, household=household, actor=actor, errors=errors)
    elif document_type != member.document_type:
        _merge(errors, "identity_number", _("Enter the number of the new document."))
    _check_after_identity(member, errors, document_changed=raw not in (None, "")
                          or (member.document_type, member.birth_date) != before)
    _full_clean(member, errors, exclude=("household", "identity_hash", "identity_masked", "identity_number",
                                         "open_identity_hash", "identity_warnings", *errors))
    _raise(errors)
    _save_member(member, household, actor)
    _after_change(household, "member_updated", member=member.name_masked)
    return member


@transaction.atomic
def member_remove(actor, member: Member, *, reason: str = "") -> None:
    """Remove a member (not the head: a change of head is a lifecycle step)."""
    household = _lock(member.household)
    if member.is_head:
        raise ValidationError(
            {"member": [_("The head of household cannot be removed; change the head first.")]}, code="head"
        )
    masked = member.name_masked
    member.delete()
    _after_change(household, "member_removed", member=masked, reason=reason)


# --- causes -------------------------------------------------------------------------------------------


@transaction.atomic
def causes_set(household: Household, main: str | None, secondary, *, actor=None) -> None:
    """Exactly one main cause and at most three secondary causes, all different, all from the cause list."""
    household = _lock(household)
    secondary = [code for code in (secondary or []) if code not in (None, "")]
    valid = set(CodeItem.objects.active().of(CodeList.CAUSE).values_list("code", flat=True))
    _raise(check_causes(main, secondary, valid))
    HouseholdCause.objects.filter(household=household).delete()
    HouseholdCause.objects.bulk_create(
        [HouseholdCause(household=household, code=main, is_main=True)]
        + [HouseholdCause(household=household, code=code, is_main=False) for code in secondary]
    )
    _after_change(household, "causes_set", main=main, secondary=secondary)


def check_causes(main: str | None, secondary: list, valid: set) -> dict:
    """The cause rules on plain values (DB-free): {field: [messages]}, empty when they hold."""
    errors: dict = {}
    if not main:
        _merge(errors, "main", _("Choose exactly one main cause."))
    elif main not in valid:
        _merge(errors, "main", _("“%(value)s” is not a cause of the list.") % {"value": main})
    if len(secondary) > MAX_SECONDARY_CAUSES:
        _merge(errors, "secondary", _("At most %(count)d secondary causes.") % {"count": MAX_SECONDARY_CAUSES})
    if len(set(secondary)) != len(secondary):
        _merge(errors, "secondary", _("A secondary cause is listed twice."))
    if main and main in secondary:
        _merge(errors, "secondary", _("The main cause cannot also be a secondary cause."))
    unknown = [code for code in secondary if code not in valid]
    if unknown:
        _merge(errors, "secondary", _("Not causes of the list: %(codes)s.") % {"codes": ", ".join(unknown)})
    return errors


# --- incomes ------------------------------------------------------------------------------------------


def income_months(on: dt.date | None = None, count: int = INCOME_MONTHS_BACK) -> list[dt.date]:
    """First days of the last `count` months (the current month included), oldest first."""
    return month_starts(on or today(), count)


def _as_amount(value):
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return "invalid"


@transaction.atomic
def incomes_set(household: Household, rows, *, actor=None) -> int:
    """Set incomes per member per month per type. Each row: member (id or Member), month (any day of
    the month), income_type, amount; an empty amount deletes that cell. Returns rows written.

    Months must be within the last 24 months and not in the future; amounts ≥ 0 with two decimals.
    """
    household = _lock(household)
    members = {m.pk: m for m in household.members.all()}
    types = set(CodeItem.objects.active().of(CodeList.INCOME_TYPE).values_list("code", flat=True))
    allowed_months = set(income_months())
    errors: dict = {}
    upserts, deletes = {}, []
    for row in rows:
        member_id = getattr(row.get("member"), "pk", row.get("member"))
        try:
            member_id = int(member_id)
        except (TypeError, ValueError):
            member_id = None
        month = row.get("month")
        if isinstance(month, str):
            try:
                month = dt.date.fromisoformat(month if len(month) > 7 else f"{month}-01")
            except ValueError:
                month = None
        if isinstance(month, dt.datetime):
            month = month.date()
        income_type = row.get("income_type")
        amount = _as_amount(row.get("amount"))
        if member_id not in members:
            _merge(errors, "member", _("The member is not part of this household."))
            continue
        if not isinstance(month, dt.date):
            _merge(errors, "month", _("Enter the month as YYYY-MM."))
            continue
        month = month.replace(day=1)
        if month > today():
            _merge(errors, "month", _("%(month)s is in the future.") % {"month": f"{month:%Y-%m}"})
            continue
        if month not in allowed_months:
            _merge(errors, "month", _("%(month)s is more than 24 months ago.") % {"month": f"{month:%Y-%m}"})
            continue
        if income_type not in types:
            _merge(errors, "income_type", _("Choose an income type of the list."))
            continue
        label = f"{members[member_id].name_masked} {month:%Y-%m}"
        if amount == "invalid":
            _merge(errors, "amount", _("%(cell)s: enter an amount in yuan.") % {"cell": label})
            continue
        if amount is None:
            deletes.append(Q(member_id=member_id, month=month, income_type=income_type))
            continue
        if amount < 0:
            _merge(errors, "amount", _("%(cell)s: an amount cannot be negative.") % {"cell": label})
            continue
        if amount >= Decimal("10000000000") or amount != amount.quantize(Decimal("0.01")):
            _merge(errors, "amount", _("%(cell)s: at most two decimals and below ten billion.") % {"cell": label})
            continue
        upserts[(member_id, month, income_type)] = amount
    _raise(errors)
    if deletes:
        condition = Q()
        for q in deletes:
            condition |= q
        MonthlyIncome.objects.filter(household=household).filter(condition).delete()
    if upserts:
        MonthlyIncome.objects.bulk_create(
            [MonthlyIncome(household=household, member_id=m, month=mo, income_type=t, amount=a)
             for (m, mo, t), a in upserts.items()],
            update_conflicts=True, unique_fields=["member", "month", "income_type"], update_fields=["amount"],
        )
    _after_change(household, "incomes_set", cells=len(upserts), cleared=len(deletes))
    return len(upserts)


# --- expenses -----------------------------------------------------------------------------------------


@transaction.atomic
def expense_add(household: Household, data: dict, *, actor=None) -> Expense:
    """One expense; its group (rigid / accident / offset) comes from the kind's flag in the code list."""
    household = _lock(household)
    errors: dict = {}
    kind = data.get("kind") or ""
    item = CodeItem.objects.active().of(CodeList.EXPENSE_KIND).filter(code=kind).first()
    if item is None:
        _merge(errors, "kind", _("Choose an expense kind of the list."))
    member = data.get("member")
    member_id = getattr(member, "pk", member) or None
    if member_id and not household.members.filter(pk=member_id).exists():
        _merge(errors, "member", _("The member is not part of this household."))
    amount = _as_amount(data.get("amount"))
    if amount is None or amount == "invalid":
        _merge(errors, "amount", _("Enter an amount in yuan."))
    elif amount < 0:
        _merge(errors, "amount", _("An amount cannot be negative."))
    incurred_on = data.get("incurred_on")
    if not incurred_on:
        _merge(errors, "incurred_on", _("Enter the date."))
    else:
        _not_future(incurred_on, "incurred_on", errors)
        if incurred_on < today() - dt.timedelta(days=366 * 2):
            _merge(errors, "incurred_on", _("Only costs of the last two years are recorded."))
    expense = Expense(household=household, member_id=member_id, kind=kind,
                      group=(item.flags.get("group") if item else "") or "rigid",
                      incurred_on=incurred_on or today(), amount=amount if isinstance(amount, Decimal) else 0,
                      note=(data.get("note") or "")[:200])
    _full_clean(expense, errors, exclude=("household", *errors))
    _raise(errors)
    expense.save()
    _after_change(household, "expense_added", expense_kind=kind, group=expense.group, amount=str(expense.amount))
    return expense


@transaction.atomic
def expense_remove(expense: Expense, *, actor=None) -> None:
    household = _lock(expense.household)
    detail = {"expense_kind": expense.kind, "amount": str(expense.amount)}
    expense.delete()
    _after_change(household, "expense_removed", **detail)


# --- assets -------------------------------------------------------------------------------------------

ASSET_FIELDS = (
    "residential_homes", "non_residential_property", "business_with_employees", "high_fee_private_school",
    "studying_abroad_own_cost", "motor_vehicle", "savings", "net_investment_assets", "declared_on",
)


@transaction.atomic
def assets_set(household: Household, data: dict, *, actor=None) -> AssetDeclaration:
    household = _lock(household)
    declaration = AssetDeclaration.objects.filter(household=household).first() or AssetDeclaration(
        household=household
    )
    errors: dict = {}
    for field in ASSET_FIELDS:
        if field in data:
            setattr(declaration, field, data[field])
    for field in ("savings", "net_investment_assets"):
        value = _as_amount(getattr(declaration, field))
        if value is None:
            setattr(declaration, field, Decimal(0))
        elif value == "invalid" or value < 0:
            _merge(errors, field, _("Enter an amount of zero or more."))
    if declaration.residential_homes is None:
        declaration.residential_homes = 0
    _not_future(declaration.declared_on, "declared_on", errors)
    plausible_record_date(declaration.declared_on, "declared_on", errors)
    _full_clean(declaration, errors, exclude=("household", *errors))
    _raise(errors)
    declaration.save()
    _after_change(household, "assets_set")
    return declaration


# --- consents -----------------------------------------------------------------------------------------


@transaction.atomic
def consent_record(household: Household, data: dict, *, actor=None, scan=None) -> Consent:
    """A signed consent: kind, date (not in the future), signer, optional scan (an uploaded file, checked
    like any evidence). The public-notice consent carries what the notice shows and where it is posted;
    the guardian consent names the member under 14 it is for."""
    from bangfu.registry.services.evidence import attachment_add

    household = _lock(household)
    errors: dict = {}
    kind = data.get("kind") or ""
    if kind not in ConsentKind.values:
        _merge(errors, "kind", _("Choose the kind of consent."))
    signed_on = data.get("signed_on")
    if not signed_on:
        _merge(errors, "signed_on", _("Enter the date of signature."))
    else:
        _not_future(signed_on, "signed_on", errors)
        plausible_record_date(signed_on, "signed_on", errors)
    signer = (data.get("signed_by_name") or "").strip()
    if not signer:
        _merge(errors, "signed_by_name", _("Enter who signed."))
    member = data.get("member")
    member_id = getattr(member, "pk", member) or None
    member_obj = household.members.filter(pk=member_id).first() if member_id else None
    if member_id and member_obj is None:
        _merge(errors, "member", _("The member is not part of this household."))
    if kind == ConsentKind.GUARDIAN:
        if member_obj is None:
            _merge(errors, "member", _("Choose the member under 14 this guardian consent is for."))
        elif not is_under(member_obj.birth_date, GUARDIAN_AGE):
            _merge(errors, "member", _("This member is 14 or older: no guardian consent is needed."))
    notice_content = (data.get("notice_content") or "").strip()
    notice_place = data.get("notice_place") or ""
    if kind == ConsentKind.PUBLIC_NOTICE:
        if not notice_content:
            _merge(errors, "notice_content", _("Say what the public notice may show."))
        if notice_place not in ("workplace", "community"):
            _merge(errors, "notice_place", _("Choose where the notice is posted."))
    consent = Consent(household=household, member=member_obj, kind=kind, signed_on=signed_on or today(),
                      signed_by_name=signer[:64], notice_content=notice_content[:200],
                      notice_place=notice_place if kind == ConsentKind.PUBLIC_NOTICE else "",
                      recorded_by=actor if getattr(actor, "pk", None) else None)
    _raise(errors)
    if scan is not None:
        try:
            consent.scan = attachment_add(household, scan, kind="consent_scan", actor=actor, member=member_obj,
                                          _locked=True)
        except ValidationError as error:
            raise ValidationError({"scan": error.messages}) from None
    consent.save()
    if kind == ConsentKind.PUBLIC_NOTICE and household.notice_place != notice_place:
        household.notice_place = notice_place
        household.save(update_fields=["notice_place", "updated_at"])
    _after_change(household, "consent_recorded", consent=kind, signed_on=str(consent.signed_on))
    return consent


# --- what is still missing ---------------------------------------------------------------------------


def missing_consents(household: Household) -> list[dict]:
    """Consents that must be on file and are not (in force): one row per missing consent."""
    consents = list(Consent.objects.filter(household=household, withdrawn_on=None).values("kind", "member_id"))
    have = {c["kind"] for c in consents}
    guardians = {c["member_id"] for c in consents if c["kind"] == ConsentKind.GUARDIAN}
    missing = []
    for kind in (ConsentKind.SENSITIVE_DATA, ConsentKind.ECONOMIC_CHECK, ConsentKind.PUBLIC_NOTICE):
        missing.append({"kind": kind, "label": ConsentKind(kind).label, "member": None, "ok": kind in have})
    for member in household.members.all():
        if is_under(member.birth_date, GUARDIAN_AGE):
            missing.append({"kind": ConsentKind.GUARDIAN, "label": ConsentKind.GUARDIAN.label,
                            "member": member, "ok": member.pk in guardians})
    return missing
