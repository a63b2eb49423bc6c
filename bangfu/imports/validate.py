"""Per-row validation: the registry's own check functions, fed one row at a time (DB-free).

A row becomes a `StagedRow` tuple (identity number checked, hashed and encrypted) plus its issues. The
checks are the forms' checks (`bangfu.registry.services.archive`: `_apply_member_fields`,
`check_new_member_role`, `check_read_from_document`, `_check_after_identity`, `_apply_household_fields`,
`check_causes`, the model fields' own validators), called on light row objects with code lists and
division codes preloaded once per job (`Context`). Checks that need other archives (a person open
elsewhere, duplicates within the file, a household without a head row) are set-based, in staging.py.

Identity numbers take a lean path for the common case (an 18-digit mainland number whose date and check
character are right) that gives exactly what `parse_identity` gives; anything else goes to
`parse_identity` itself (tests/test_identity_equivalence.py compares both on a large random sample).

Speed (a million rows in seconds): a row whose every cell is plainly acceptable takes `_fast_row` (cell
conversions memoised per column, one keyed-hash state copied per value, one AES-GCM object per process); any
doubt sends the row to `_full_row`, the forms' functions, which word every refusal
(tests/test_fast_path.py checks both stage identical rows). Each row carries a fingerprint of its cells
(`fingerprint`) for the re-import's "unchanged" (merge.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from operator import mul

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu.core.identity import (
    CHECK_CHARS,
    WEIGHTS,
    DocumentType,
    check_character,
    compare_with_register,
    parse_identity,
)
from bangfu.core.masking import mask_id_number, mask_name, mask_phone
from bangfu.imports import normalise as N
from bangfu.imports.columns import BY_KEY, COLUMNS
from bangfu.registry.models import Household, Member
from bangfu.registry.services import archive as A

MAX_CELL_CHARS = 500
DOCTYPE_LABELS = {
    "居民身份证": DocumentType.RESIDENT_ID, "身份证": DocumentType.RESIDENT_ID,
    "港澳台居民居住证": DocumentType.HMT_PERMIT, "居住证": DocumentType.HMT_PERMIT,
    "外国人永久居留身份证": DocumentType.FOREIGN_PR, "永久居留身份证": DocumentType.FOREIGN_PR,
    "出生医学证明": DocumentType.BIRTH_CERTIFICATE, "出生证": DocumentType.BIRTH_CERTIFICATE,
}
DOCTYPE_CODES = {code for code, _label in DocumentType.CHOICES}
SEX_LABELS = {"男": "M", "女": "F", "m": "M", "f": "F", "male": "M", "female": "F"}
# Which column a field's message belongs to (registry field name -> template key).
FIELD_COLUMN = {
    "identity_number": "identity_number", "document_type": "document_type", "main": "main_cause",
    "secondary": "secondary_causes", "org": "org_code",
}
STAGED_FIELDS = (
    "job_id", "row_no", "ok", "hh_key", "is_head", "identity_hash", "identity_number", "identity_masked",
    "identity_warnings", "document_type", "relation", "name", "name_initials", "name_masked", "sex", "birth_date",
    "health",
    "disability_type", "disability_grade", "work_status", "is_student", "school_stage", "marital_status",
    "hukou_type", "monthly_income_declared", "phone", "phone_masked", "ethnicity", "org_id",
    "division_id", "registration_division_id", "address", "housing_type", "housing_area", "single_parent",
    "zero_employment", "bank_name", "bank_account", "bank_account_last4", "bank_account_holder", "secret_fp",
)
# The row fingerprint: a keyed hash of the row's cells as typed (every column of the template, in the
# template's order, whatever the file's column order) and of the code lists' labels they were read with.
FP_KEYS = tuple(c.key for c in COLUMNS if c.where != "ignore")
FP_BITS = 48


# Columns whose raw text is never echoed into the report or the job page (DOMAIN.md §9).
SECRET_COLUMNS = frozenset({"identity_number", "head_identity", "phone", "bank_account"})
# Columns holding a person's name: echoed masked (surname + *).
NAME_COLUMNS = frozenset({"name", "bank_account_holder"})


def _formula_shown(raw: str) -> str:
    """What the report shows of a formula in an identity column: the masked number inside it, if any."""
    digits = "".join(ch for ch in str(raw) if ch.isdigit() or ch in "Xx")
    return f"={mask_id_number(digits)}" if len(digits) >= 10 else "="


class MemberRow:
    """A member's fields as the write functions see them, without a model instance (fast to build)."""

    _meta = Member._meta

    def __init__(self, is_head: bool):
        self.is_head = is_head
        self.relation = "self" if is_head else ""
        self.name = self.sex = self.health = self.diagnosis = self.disability_type = self.work_status = ""
        self.school_stage = self.school_name = self.medical_insurance = self.marital_status = ""
        self.hukou_type = self.worker_number = self.ethnicity = self.political_status = ""
        self.model_worker_level = self.industry = self.employer_name = self.employer_type = ""
        self.birth_date = self.work_started_on = self.labour_relation_since = None
        self.disability_grade = self.school_entry_year = self.school_length_years = None
        self.is_student = False
        self.monthly_income_declared = Decimal(0)
        self.document_type = DocumentType.RESIDENT_ID
        self.phone = self.phone_masked = self.name_initials = ""

    def set_phone(self, value: str) -> None:
        self.phone = value
        self.phone_masked = mask_phone(value) if value else ""


class HouseholdRow:
    _meta = Household._meta

    def __init__(self):
        self.division_id = self.registration_division_id = None
        self.address = self.housing_type = self.bank_name = self.bank_account_holder = self.remarks = ""
        self.bank_account = self.bank_account_last4 = ""
        self.housing_area = None
        self.single_parent = self.zero_employment = False


@dataclass
class Context:
    """What a job's rows are checked against, loaded once per process."""

    job_id: int
    today: dt.date
    code_sets: dict  # {code list: set of active codes}
    labels: dict  # {code list: {label or code (lower-case): code}}
    divisions: frozenset
    orgs: dict  # {org code: (org id, is_active)} of the importing user's subtree
    area_warning: str
    hasher: object = None
    encryptor: object = None
    fingerprinter: object = None
    caches: dict = None  # per-process memo of cell conversions (see _fast_row)

    @classmethod
    def load(cls, job_id: int, user) -> Context:
        from bangfu.orgs.models import Division, Org
        from bangfu.registry.models import CodeItem

        code_sets: dict = {}
        labels: dict = {}
        for code_list, code, zh, en in CodeItem.objects.active().values_list("code_list", "code", "name_zh", "name_en"):
            code_sets.setdefault(code_list, set()).add(code)
            table = labels.setdefault(code_list, {})
            for alias in (code, zh, en):
                table.setdefault(N.text(alias).lower(), code)
        orgs = {code: (pk, active) for pk, code, active in
                Org.objects.filter(path__startswith=user.scope_path).values_list("pk", "code", "is_active")}
        sample = parse_identity(DocumentType.RESIDENT_ID,
                                "11010119900307001X"[:17] + check_character("11010119900307001"),
                                known_area=lambda _code: False)
        return cls(job_id=job_id, today=timezone.localdate(), code_sets=code_sets, labels=labels,
                   divisions=frozenset(Division.objects.values_list("code", flat=True)), orgs=orgs,
                   area_warning=sample.warnings[0] if sample.warnings else "")

    def ready(self) -> None:
        from bangfu.core.crypto import bulk_encryptor, bulk_keyed_hasher

        if self.hasher is None:
            self.hasher = bulk_keyed_hasher()
            self.encryptor = bulk_encryptor()
            labels = json.dumps(self.labels, sort_keys=True, ensure_ascii=False).encode()
            key = hashlib.sha256(b"import-fingerprint:" + settings.IDENTITY_HASH_KEY.encode() + labels).digest()
            blake = hashlib.blake2b
            self.fingerprinter = lambda text: int.from_bytes(
                blake(text.encode("utf-8"), digest_size=FP_BITS // 8, key=key).digest(), "big")
            self.caches = {}

    def __getstate__(self):
        state = dict(self.__dict__)
        state["hasher"] = state["encryptor"] = state["fingerprinter"] = state["caches"] = None
        return state


@lru_cache(maxsize=100000)
def _birth(text8: str) -> dt.date | None:
    try:
        return dt.date(int(text8[:4]), int(text8[4:6]), int(text8[6:8]))
    except ValueError:
        return None


_DIGIT_BIAS = 48 * sum(WEIGHTS)  # the weights applied to the ASCII codes instead of the digits
_CHECK_CHARS = CHECK_CHARS


class _Check:
    __slots__ = ("ok", "value", "birth_date", "sex", "area_code", "errors", "warnings")


def lean_identity(ctx: Context, document_type: str, raw: str):
    """`parse_identity(document_type, raw, today=ctx.today, known_area=...)`, fast for a clean mainland number."""
    if (document_type == DocumentType.RESIDENT_ID and len(raw) == 18 and raw.isascii() and raw[:17].isdigit()
            and raw[:2] not in ("81", "82", "83")):
        last = raw[17]
        if last == "x":
            last = "X"
        birth = _birth(raw[6:14])
        if (last.isdigit() or last == "X") and birth is not None and birth <= ctx.today and birth.year >= 1900:  # noqa: SIM102 - the cheap tests first, the check sum only then
            if _CHECK_CHARS[(sum(map(mul, raw[:17].encode(), WEIGHTS)) - _DIGIT_BIAS) % 11] == last:
                check = _Check()
                check.ok, check.value, check.birth_date = True, raw[:17] + last, birth
                check.sex = "M" if int(raw[16]) % 2 else "F"
                check.area_code = raw[:6]
                check.errors = []
                check.warnings = [] if raw[:6] in ctx.divisions else [ctx.area_warning]
                return check
    return parse_identity(document_type, raw, today=ctx.today, known_area=ctx.divisions.__contains__)


def household_key(ctx: Context, raw: str) -> tuple[str, list[str]]:
    """The canonical head number (any document type that checks out) or the resident-ID errors."""
    first = lean_identity(ctx, DocumentType.RESIDENT_ID, raw)
    if first.ok:
        return first.value, []
    for document_type in (DocumentType.HMT_PERMIT, DocumentType.FOREIGN_PR, DocumentType.BIRTH_CERTIFICATE):
        other = parse_identity(document_type, raw, today=ctx.today)
        if other.ok:
            return other.value, []
    return "", list(first.errors)


def _code(ctx: Context, code_list: str, value) -> str:
    raw = N.text(value)
    return ctx.labels.get(code_list, {}).get(raw.lower(), raw) if raw else ""


def _clean_field(model, field: str, value, errors: dict) -> None:
    """The model field's own checks (max length, validators, digits), as `full_clean` runs them."""
    if field in errors or value in (None, ""):
        return
    spec = model._meta.get_field(field)
    max_length = getattr(spec, "max_length", None)
    if isinstance(value, str) and max_length and len(value) <= max_length and "\x00" not in value:
        return
    try:
        spec.clean(value, None)
    except ValidationError as error:
        errors.setdefault(field, []).extend(error.messages)


def _full_row(ctx: Context, row_no: int, cells: dict):
    issues: list = []
    errors: dict = {}

    def issue(key, value, message):
        # A name in the report and on the job page is masked like every list shows it (surname + *).
        issues.append((row_no, key, mask_name(value) if key in NAME_COLUMNS else value, message))

    values: dict = {}
    for key, raw in cells.items():
        if isinstance(raw, str) and len(raw) > MAX_CELL_CHARS:
            # Never echo the start of an identity, phone or bank cell: 20 characters can hold a whole number.
            shown = "" if key in SECRET_COLUMNS else raw[:20] + "…"
            issue(key, shown, _("This cell has %(count)d characters; at most %(max)d are accepted.")
                  % {"count": len(raw), "max": MAX_CELL_CHARS})
            continue
        values[key] = raw

    # The household key: the head's number, on every row.
    head_raw = N.identity_cell(values.get("head_identity"))
    hh_number = ""
    if not head_raw:
        issue("head_identity", "", _("Enter the head's identity number on every row of the household."))
    elif N.is_formula_text(head_raw) or ("head_identity", "formula") in cells.get("_formulas", ()):
        issue("head_identity", _formula_shown(head_raw),
              _("This cell holds a formula: type the identity number itself, as text."))
    else:
        hh_number, key_errors = household_key(ctx, head_raw)
        for message in key_errors:
            issue("head_identity", mask_id_number(head_raw), message)

    id_raw = N.identity_cell(values.get("identity_number"))
    id_formula = N.is_formula_text(id_raw) or ("identity_number", "formula") in cells.get("_formulas", ())
    document_type = DocumentType.RESIDENT_ID
    if N.text(values.get("document_type")):
        raw_type = N.text(values.get("document_type"))
        document_type = DOCTYPE_LABELS.get(raw_type, raw_type)
    # Is this the head's row? Decided on the number as checked below; provisional on the text.
    member_data: dict = {}
    for key in ("relation", "name", "sex", "birth_date", "ethnicity", "health", "disability_type",
                "disability_grade", "work_status", "is_student", "school_stage", "marital_status", "hukou_type",
                "monthly_income_declared", "phone"):
        if key not in values:
            continue
        column = BY_KEY[key]
        raw = values[key]
        try:
            if column.kind == "code":
                member_data[key] = _code(ctx, column.code_list, raw)
            elif column.kind == "date":
                member_data[key] = N.date(raw)
            elif column.kind == "amount":
                member_data[key] = N.amount(raw)
                if member_data[key] is None:
                    member_data[key] = Decimal(0)
            elif column.kind == "bool":
                member_data[key] = N.boolean(raw)
            elif column.kind == "int":
                member_data[key] = N.integer(raw)
            elif column.kind == "sex":
                text = N.text(raw)
                member_data[key] = SEX_LABELS.get(text.lower(), text)
            else:
                member_data[key] = N.text(raw)
        except N.CellError as error:
            issue(key, N.text(raw)[:100], str(error))

    # Identity first (the head is the row whose number is the household's key).
    check = None
    if id_formula:
        errors["identity_number"] = [_("This cell holds a formula: type the identity number itself, as text.")]
    elif document_type not in DOCTYPE_CODES:
        errors["document_type"] = [_("Choose an identity document type.")]
    else:
        check = lean_identity(ctx, document_type, id_raw)
        if not check.ok:
            errors["identity_number"] = list(check.errors)
    is_head = bool(check is not None and check.ok and hh_number and check.value == hh_number)

    member = MemberRow(is_head)
    A._apply_member_fields(member, member_data, errors, code_sets=ctx.code_sets)
    A.check_new_member_role(member, is_head=is_head, errors=errors)
    warnings: list = []
    if check is not None and check.ok:
        if not member.sex and check.sex:
            member.sex = check.sex
        if not member.birth_date and check.birth_date:
            member.birth_date = check.birth_date
        warnings = list(check.warnings) + compare_with_register(check, sex=member.sex, birth_date=member.birth_date)
        member.document_type = document_type
    A.check_read_from_document(member, errors)
    A._check_after_identity(member, errors)
    for field in ("name", "relation", "disability_grade", "monthly_income_declared", "ethnicity", "health",
                  "work_status", "school_stage", "marital_status", "hukou_type", "disability_type"):
        _clean_field(Member, field, getattr(member, field), errors)

    household = None
    causes: list = []
    if is_head:
        household = HouseholdRow()
        errors_h: dict = {}
        data: dict = {}
        for key in ("division", "registration_division", "address", "housing_type", "housing_area",
                    "single_parent", "zero_employment", "bank_name", "bank_account", "bank_account_holder"):
            if key not in values:
                continue
            column = BY_KEY[key]
            raw = values[key]
            try:
                if column.kind == "code":
                    data[key] = _code(ctx, column.code_list, raw)
                elif column.kind == "amount":
                    data[key] = N.amount(raw)
                elif column.kind == "bool":
                    data[key] = N.boolean(raw)
                else:
                    data[key] = N.text(raw) or (None if column.kind == "division" else "")
            except N.CellError as error:
                issue(key, N.text(raw)[:100], str(error))
        A._apply_household_fields(household, data, errors_h, known_area=ctx.divisions.__contains__,
                                  code_sets=ctx.code_sets)
        if not household.division_id and "division" not in errors_h:
            errors_h.setdefault("division", []).append(_("Choose the division where the family lives."))
        for field in ("housing_area", "bank_name", "bank_account_holder"):
            _clean_field(Household, field, getattr(household, field), errors_h)
        org_code = N.text(values.get("org_code"))
        org = ctx.orgs.get(org_code)
        if not org_code:
            errors_h["org"] = [_("Enter the code of the union that keeps this archive.")]
        elif org is None:
            errors_h["org"] = [_("“%(code)s” is not the code of your union or of a union below it.")
                               % {"code": org_code}]
        elif not org[1]:
            errors_h["org"] = [_("This union has been dissolved: open the archive at the union that took over.")]
        main = _code(ctx, "cause", values.get("main_cause"))
        secondary_raw = N.text(values.get("secondary_causes"))
        secondary = [_code(ctx, "cause", part) for part in
                     secondary_raw.replace("、", ",").replace(";", ",").replace("，", ",").split(",") if part.strip()]
        if main or secondary:
            errors_h.update(A.check_causes(main, secondary, ctx.code_sets.get("cause", set())))
            causes = [(main, True)] + [(code, False) for code in secondary]
        errors.update(errors_h)
        household.org_id = org[0] if org else None

    for field, messages in errors.items():
        key = FIELD_COLUMN.get(field, field)
        if key == "identity_number":
            shown = mask_id_number(id_raw) if not id_formula else _formula_shown(id_raw)
        elif key in ("phone", "bank_account"):
            shown = ""
        else:
            shown = N.text(values.get(key))[:100]
        for message in messages:
            issue(key if key in BY_KEY else "", shown, str(message))

    ok = not issues
    identity_hash = identity_enc = masked = ""
    if check is not None and check.ok:
        identity_hash = ctx.hasher(check.value)
        identity_enc = ctx.encryptor(check.value) if ok else ""
        masked = mask_id_number(check.value)
    phone = member.phone or ""
    h = household
    enc = ctx.encryptor if ok else (lambda _v: "")
    staged = (
        ctx.job_id, row_no, ok, ctx.hasher(hh_number) if hh_number else "", is_head, identity_hash, identity_enc,
        masked, json.dumps(warnings, ensure_ascii=False), document_type[:16], member.relation[:24],
        member.name[:64], member.name_initials[:32], mask_name(member.name)[:64], member.sex[:1] if member.sex else "",
        member.birth_date if isinstance(member.birth_date, dt.date) else None, member.health[:24],
        member.disability_type[:24], member.disability_grade if isinstance(member.disability_grade, int) else None,
        member.work_status[:24], bool(member.is_student), member.school_stage[:24], member.marital_status[:24],
        member.hukou_type[:24],
        member.monthly_income_declared if ok and isinstance(member.monthly_income_declared, Decimal) else Decimal(0),
        enc(phone) if phone else "", member.phone_masked, member.ethnicity[:24],
        h.org_id if h else None, (h.division_id or "") if h else "", (h.registration_division_id or "") if h else "",
        enc(h.address) if h and h.address else "", h.housing_type[:24] if h else "",
        h.housing_area if h and ok and isinstance(h.housing_area, Decimal) else None,
        bool(h.single_parent) if h else False, bool(h.zero_employment) if h else False,
        h.bank_name[:64] if h else "", enc(h.bank_account) if h and h.bank_account else "",
        h.bank_account_last4 if h else "", h.bank_account_holder[:64] if h else "",
    )
    return (*staged, fingerprint(ctx, cells) if ok else 0), issues, causes


def fingerprint(ctx: Context, cells: dict) -> int:
    """48 bits of a keyed hash of every cell a row imports (plain secrets and causes included): the sum over a
    household's rows is the household's fingerprint, which a re-import compares. Equal cells give equal values
    (the conversions are deterministic); a cell written differently (1234 / 1,234元) counts as a change."""
    get = cells.get
    return ctx.fingerprinter("\x1f".join([str(get(key, "")) for key in FP_KEYS]))


def preview_row(staged, issues) -> dict:
    """What the dry-run page shows for a row: values as understood, name and identity masked (DOMAIN.md §9), its
    problems. Phone and bank account are not shown."""
    record = dict(zip(STAGED_FIELDS, staged, strict=True))
    return {
        "row": record["row_no"], "head": record["is_head"], "name": record["name_masked"],
        "identity": record["identity_masked"], "relation": record["relation"], "sex": record["sex"],
        "birth_date": record["birth_date"].isoformat() if record["birth_date"] else "",
        "work_status": record["work_status"], "health": record["health"],
        "income": str(record["monthly_income_declared"]),
        "problems": [f"{BY_KEY[key].header if key in BY_KEY else ''}: {message}" for _r, key, _v, message in issues],
    }


HEADERS = {column.key: column.header for column in COLUMNS}
