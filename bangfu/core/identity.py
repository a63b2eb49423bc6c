"""Identity documents of the people in a household (DOMAIN.md §2).

One entry point, `parse_identity(document_type, raw)`, normalises and checks a number and returns
an `IdentityCheck` with the canonical value, errors (the number is refused) and warnings (the number
is accepted but a person should look). The same function serves forms, the API and bulk imports.

Mainland resident ID (GB 11643-1999): 6-digit area code + YYYYMMDD + 3-digit sequence (odd = male)
+ a check character (ISO 7064 MOD 11-2). Old 15-digit numbers are converted to 18 digits.
Hong Kong / Macao / Taiwan residence permits use area codes 81/82/83 and the same check character;
the foreign permanent-residence ID (2023 format) is 18 characters starting with 9, same check.
A birth-certificate number (newborn without ID yet) is a letter + 9 digits.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"


class DocumentType:
    RESIDENT_ID = "resident_id"
    HMT_PERMIT = "hmt_permit"
    FOREIGN_PR = "foreign_pr"
    BIRTH_CERTIFICATE = "birth_cert"

    CHOICES = [
        (RESIDENT_ID, _("Resident ID card")),
        (HMT_PERMIT, _("Hong Kong / Macao / Taiwan residence permit")),
        (FOREIGN_PR, _("Foreign permanent-residence ID")),
        (BIRTH_CERTIFICATE, _("Birth certificate (newborn)")),
    ]


@dataclass
class IdentityCheck:
    document_type: str
    raw: str
    value: str = ""
    birth_date: dt.date | None = None
    sex: str = ""  # "M" / "F" / ""
    area_code: str = ""
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def normalise(raw: str) -> str:
    """Full-width digits and letters to half-width, spaces and separators removed, x upper-cased."""
    text = unicodedata.normalize("NFKC", str(raw or ""))
    text = re.sub(r"[\s\-‐－_]", "", text)
    return text.upper()


def check_character(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def convert_15_to_18(number15: str) -> str:
    first17 = number15[:6] + "19" + number15[6:]
    return first17 + check_character(first17)


_EXCEL_FLOAT = re.compile(r"^\d(\.\d+)?E\+?\d+$")


def _parse_date(text: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        return None


def _check_18(check: IdentityCheck, number: str, *, today: dt.date) -> None:
    if not re.fullmatch(r"\d{17}[\dX]", number):
        check.errors.append(str(_("An 18-character ID number has 17 digits and a final digit or X.")))
        return
    birth = _parse_date(number[6:14])
    if birth is None or birth > today or birth.year < 1900:
        check.errors.append(str(_("The birth date in the ID number is not a real date.")))
    expected = check_character(number[:17])
    if number[17] != expected:
        check.errors.append(str(_("The check character of the ID number is wrong.")))
    if check.errors:
        return
    check.value = number
    check.birth_date = birth
    check.sex = "M" if int(number[16]) % 2 else "F"
    check.area_code = number[:6]


def parse_identity(document_type: str, raw, *, today: dt.date | None = None, known_area=None) -> IdentityCheck:
    """Normalise and validate one identity document number.

    `known_area(code) -> bool` tells whether an area code is in our division table; an unknown code
    is only a warning (historical codes are valid, and our table may lag).
    """
    today = today or dt.date.today()
    raw_text = "" if raw is None else str(raw)
    check = IdentityCheck(document_type=document_type, raw=raw_text)
    number = normalise(raw_text)
    if not number:
        check.errors.append(str(_("The document number is empty.")))
        return check
    if _EXCEL_FLOAT.match(number) or re.fullmatch(r"\d+\.\d+", number):
        check.errors.append(
            str(_("This number was turned into a number by Excel (e.g. 1.1E+17); re-enter it as text."))
        )
        return check

    if document_type == DocumentType.RESIDENT_ID:
        if len(number) == 15 and number.isdigit():
            birth = _parse_date("19" + number[6:12])
            if birth is None:
                check.errors.append(str(_("The birth date in the ID number is not a real date.")))
                return check
            number = convert_15_to_18(number)
        elif len(number) == 17 and number.isdigit():
            check.errors.append(
                str(_("The ID number has 17 digits: its last character (often an X) seems lost; it is not guessed."))
            )
            return check
        elif len(number) != 18:
            check.errors.append(str(_("A resident ID number has 18 characters (or 15 digits for old cards).")))
            return check
        _check_18(check, number, today=today)
        if check.ok and number[:2] in ("81", "82", "83"):
            check.errors.append(str(_("Area codes 81/82/83 belong to residence permits; choose that document type.")))
        if check.ok and known_area is not None and not known_area(check.area_code):
            check.warnings.append(str(_("The area code is not in our division table; please check it.")))
    elif document_type == DocumentType.HMT_PERMIT:
        if len(number) != 18 or number[:2] not in ("81", "82", "83"):
            check.errors.append(
                str(_("A Hong Kong, Macao or Taiwan residence permit has 18 characters starting with 81, 82 or 83."))
            )
            return check
        _check_18(check, number, today=today)
    elif document_type == DocumentType.FOREIGN_PR:
        if len(number) != 18 or not number.startswith("9"):
            check.errors.append(str(_("A foreign permanent-residence ID has 18 characters starting with 9.")))
            return check
        _check_18(check, number, today=today)
        check.area_code = ""
    elif document_type == DocumentType.BIRTH_CERTIFICATE:
        if not re.fullmatch(r"[A-Z]\d{9}", number):
            check.errors.append(str(_("A birth-certificate number is one letter followed by 9 digits.")))
            return check
        check.value = number
    else:
        check.errors.append(str(_("Unknown document type.")))
    return check


def compare_with_register(check: IdentityCheck, *, sex: str = "", birth_date: dt.date | None = None) -> list[str]:
    """Warnings when the sex or birth date in the number differ from the household register.

    Real IDs carry errors, so a difference is a warning to check, never a refusal.
    """
    warnings = []
    if check.sex and sex and check.sex != sex:
        warnings.append(str(_("The sex in the ID number differs from the household register.")))
    if check.birth_date and birth_date and check.birth_date != birth_date:
        warnings.append(str(_("The birth date in the ID number differs from the household register.")))
    return warnings


def synthetic_resident_id(area_code: str, birth_date: dt.date, sequence: int) -> str:
    """A well-formed resident ID number for demo and test data (never a real person's: sequence is ours).

    `sequence` 0..999; odd = male, as in the real scheme.
    """
    first17 = f"{area_code}{birth_date:%Y%m%d}{sequence % 1000:03d}"
    return first17 + check_character(first17)
