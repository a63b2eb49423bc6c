"""How a row is judged: `validate_row` sends a row whose every cell is plainly acceptable down the fast path
(`_fast_row`, below) and every other row through the forms' own functions (`validate._full_row`), which word the
report. Split from `validate.py`, which holds the context, the lean identity check and the full path."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from functools import lru_cache

from django.core.exceptions import ValidationError

from bangfu.core.identity import DocumentType, compare_with_register
from bangfu.core.masking import mask_id_number, mask_name, mask_phone
from bangfu.imports import normalise as N
from bangfu.imports.validate import (
    DOCTYPE_LABELS,
    MAX_CELL_CHARS,
    SEX_LABELS,
    Context,
    _code,
    _full_row,
    fingerprint,
    lean_identity,
)
from bangfu.registry.models import Household, Member
from bangfu.registry.services import archive as A


def validate_row(ctx: Context, row_no: int, cells: dict):
    """One row -> (staged tuple, [(row, column key, value, message)], [(code, is_main)]).

    A row whose every cell is plainly acceptable takes the fast path (`_fast_row`); any other row, and
    every row with a problem, goes through the forms' own functions (`_full_row`), which word the report."""
    ctx.ready()
    fast = _fast_row(ctx, row_no, cells)
    if fast is not None:
        return fast
    return _full_row(ctx, row_no, cells)



# --- the fast path --------------------------------------------------------------------------------------
#
# Most rows of a real file are plainly right. For those, the checks above reduce to "every value is one the
# forms accept": a code of its list, a known division, a date not in the future, an amount the model field
# takes, ... `_fast_row` tests exactly that, with each distinct cell value converted and judged once per
# process (memoised by column) and the registry's own functions asked for that judgement where a rule is
# about one value alone (the model fields' `clean`, `check_causes`). It never produces a message: the first
# doubt sends the row to `_full_row`, so every refusal is worded by the forms' functions.
# tests/test_fast_path.py checks that both paths stage identical rows on generated good and bad rows.

_BAD = object()
_MISSING = ("", None)


def _memo(ctx: Context, name: str) -> dict:
    table = ctx.caches.get(name)
    if table is None or len(table) > 50_000:
        table = ctx.caches[name] = {}
    return table


def _judge_code(ctx: Context, code_list: str, raw):
    """A code-list cell: its code if the forms accept it ("" when empty), else _BAD."""
    table = _memo(ctx, "code:" + code_list)
    value = table.get(raw, _BAD if raw in table else None)
    if value is None:
        code = _code(ctx, code_list, raw)
        value = code if (code == "" or (code in ctx.code_sets.get(code_list, ()) and len(code) <= 24)) else _BAD
        table[raw] = value
    return value


def _judge(ctx: Context, key: str, raw, convert, check=None):
    """A cell converted by `convert` (CellError -> _BAD) and accepted by `check(value)` (False -> _BAD)."""
    table = _memo(ctx, key)
    try:
        return table[raw]
    except KeyError:
        pass
    except TypeError:  # unhashable: never the case for CSV/xlsx cells, but be safe
        return _BAD
    try:
        value = convert(raw)
        if check is not None and not check(value):
            value = _BAD
    except (N.CellError, ValidationError, ValueError, TypeError, ArithmeticError):
        value = _BAD
    table[raw] = value
    return value


def _field_accepts(model, name: str):
    spec = model._meta.get_field(name)

    def accepts(value) -> bool:
        if value is None:
            return True
        try:
            spec.clean(value, None)
        except ValidationError:
            return False
        return True

    return accepts


_INCOME_OK = _field_accepts(Member, "monthly_income_declared")
_AREA_OK = _field_accepts(Household, "housing_area")


def _income(raw):
    value = N.amount(raw)
    return Decimal(0) if value is None else value


def _sex(raw):
    text = N.text(raw)
    return SEX_LABELS.get(text.lower(), text)


def _short_text(raw, limit: int):
    value = N.text(raw)
    return value if len(value) <= limit and "\x00" not in value else _BAD


def _name(raw):
    value = N.text(raw).strip()
    return value if value and len(value) <= 64 and "\x00" not in value else _BAD


def _doctype(raw):
    text = N.text(raw)
    return DOCTYPE_LABELS.get(text, text) if text else DocumentType.RESIDENT_ID


@lru_cache(maxsize=1 << 16)
def _name_facts(name: str) -> tuple[str, str]:
    from bangfu.registry.search import initials

    return initials(name)[:32], mask_name(name)[:64]


def _text_of(raw) -> str:
    if raw is None:
        return ""
    if raw.__class__ is str:
        return raw.strip() if raw.isascii() else N.text(raw)
    return N.text(raw)


def _fast_row(ctx: Context, row_no: int, cells: dict):  # noqa: C901 - one straight line of checks
    if "_formulas" in cells:
        return None
    for raw in cells.values():
        if raw.__class__ is str and len(raw) > MAX_CELL_CHARS:
            return None
    get = cells.get
    today = ctx.today

    # Identity: the household key and the row's own number, both clean mainland resident IDs.
    head_raw = get("head_identity")
    head_text = head_raw.strip() if head_raw.__class__ is str and head_raw.isascii() else N.identity_cell(head_raw)
    if not head_text or N.is_formula_text(head_text):
        return None
    last_head = ctx.caches.get("head")  # the rows of a household usually follow each other: check its head once
    if last_head is not None and last_head[0] == head_text:
        head = last_head[1]
    else:
        head = lean_identity(ctx, DocumentType.RESIDENT_ID, head_text)
        ctx.caches["head"] = (head_text, head)
    if not head.ok:
        return None
    if _judge(ctx, "document_type", get("document_type"), _doctype) != DocumentType.RESIDENT_ID:
        return None
    id_raw = get("identity_number")
    id_text = id_raw.strip() if id_raw.__class__ is str and id_raw.isascii() else N.identity_cell(id_raw)
    if not id_text or N.is_formula_text(id_text):
        return None
    check = head if id_text == head_text else lean_identity(ctx, DocumentType.RESIDENT_ID, id_text)
    if not check.ok:
        return None
    hh_number = head.value
    is_head = check.value == hh_number

    # Member facts.
    code = _judge_code
    relation = code(ctx, "relation", get("relation"))
    if relation is _BAD:
        return None
    if is_head:
        relation = "self"
    elif relation in ("", "self"):
        return None
    name = _name(get("name"))  # names hardly repeat: not memoised
    if name is _BAD:
        return None
    sex = _judge(ctx, "sex", get("sex"), _sex)
    if sex not in ("", "M", "F"):
        return None
    birth = _judge(ctx, "birth_date", get("birth_date"), N.date,
                   lambda d: d is None or (isinstance(d, dt.date) and d.year >= 1900))
    if birth is _BAD or (birth is not None and birth > today):
        return None
    values = []
    for key, code_list in (("ethnicity", "ethnicity"), ("health", "health"), ("disability_type", "disability_type"),
                           ("work_status", "work_status"), ("school_stage", "school_stage"),
                           ("marital_status", "marital"), ("hukou_type", "hukou")):
        value = code(ctx, code_list, get(key))
        if value is _BAD:
            return None
        values.append(value)
    ethnicity, health, disability_type, work_status, school_stage, marital, hukou = values
    grade = _judge(ctx, "disability_grade", get("disability_grade"), N.integer,
                   lambda g: g is None or 1 <= g <= 4)
    if grade is _BAD or (grade is not None and not disability_type):
        return None
    student = _judge(ctx, "is_student", get("is_student"), N.boolean)
    if student is _BAD:
        return None
    income = _judge(ctx, "monthly_income_declared", get("monthly_income_declared"), _income, _INCOME_OK)
    if income is _BAD:
        return None
    phone_raw = get("phone")
    phone = "".join(_text_of(phone_raw).split()) if phone_raw not in _MISSING else ""
    if phone and (not phone.lstrip("+").replace("-", "").isdigit() or not 7 <= len(phone) <= 20):
        return None

    # Household facts (the head's row).
    h = None
    causes: list = []
    if is_head:
        org = ctx.orgs.get(_text_of(get("org_code")))
        if org is None or not org[1]:
            return None
        division = _text_of(get("division"))
        if division not in ctx.divisions:
            return None
        registration = _text_of(get("registration_division"))
        if registration and registration not in ctx.divisions:
            return None
        housing_type = code(ctx, "housing", get("housing_type"))
        area = _judge(ctx, "housing_area", get("housing_area"), N.amount, _AREA_OK)
        single = _judge(ctx, "single_parent", get("single_parent"), N.boolean)
        zero = _judge(ctx, "zero_employment", get("zero_employment"), N.boolean)
        bank_name = _judge(ctx, "bank_name", get("bank_name"), lambda r: _short_text(r, 64))
        holder = _short_text(get("bank_account_holder"), 64)
        if _BAD in (housing_type, area, single, zero, bank_name, holder):
            return None
        account = "".join(_text_of(get("bank_account")).split())
        if account and (not account.isdigit() or not 12 <= len(account) <= 30):
            return None
        main = code(ctx, "cause", get("main_cause"))
        secondary_raw = _text_of(get("secondary_causes"))
        secondary = tuple(_code(ctx, "cause", part) for part in secondary_raw.replace("、", ",").replace(
            ";", ",").replace("，", ",").split(",") if part.strip()) if secondary_raw else ()
        if main is _BAD:
            return None
        if main or secondary:
            table = _memo(ctx, "causes")
            key = (main, secondary)
            verdict = table.get(key)
            if verdict is None:
                verdict = table[key] = not A.check_causes(main, list(secondary), ctx.code_sets.get("cause", set()))
            if not verdict:
                return None
            causes = [(main, True)] + [(c, False) for c in secondary]
        h = (org[0], division, registration, _text_of(get("address")), housing_type, area, bool(single), bool(zero),
             bank_name, account, account[-4:] if account else "", holder)

    # Accepted: stage it exactly as _full_row would.
    warnings = list(check.warnings)
    if sex or birth:
        warnings += compare_with_register(check, sex=sex, birth_date=birth)
    if not sex:
        sex = check.sex
    if birth is None:
        birth = check.birth_date
    hasher, enc = ctx.hasher, ctx.encryptor
    last = ctx.caches.get("hh_key")  # the rows of a household usually follow each other
    if last is not None and last[0] == hh_number:
        hh_key = last[1]
    else:
        hh_key = hasher(hh_number)
        ctx.caches["hh_key"] = (hh_number, hh_key)
    value = check.value
    initials_, masked_name = _name_facts(name)
    staged = (
        ctx.job_id, row_no, True, hh_key, is_head, hasher(value), enc(value), mask_id_number(value),
        json.dumps(warnings, ensure_ascii=False) if warnings else "[]", DocumentType.RESIDENT_ID, relation,
        name, initials_, masked_name, sex, birth, health, disability_type, grade, work_status, bool(student),
        school_stage, marital, hukou, income, enc(phone) if phone else "", mask_phone(phone) if phone else "",
        ethnicity,
    )
    if h is None:
        staged += (None, "", "", "", "", None, False, False, "", "", "", "")
        address = account = ""
    else:
        org_id, division, registration, address, housing_type, area, single, zero, bank_name, account, last4, \
            holder = h
        staged += (org_id, division, registration, enc(address) if address else "", housing_type, area, single,
                   zero, bank_name, enc(account) if account else "", last4, holder)
    return (*staged, fingerprint(ctx, cells)), [], causes
