"""Identity documents, masking and field encryption (DOMAIN.md §2, §9).

Valid numbers below are built from the published algorithm (check character computed by hand-checked
weights), not copied from the code's output: e.g. 11010519491231002X is the standard's own example.
"""

import datetime as dt

import pytest

from bangfu.core import crypto
from bangfu.core.identity import DocumentType, compare_with_register, convert_15_to_18, parse_identity
from bangfu.core.masking import mask_bank_account, mask_id_number, mask_name, mask_phone

RID = DocumentType.RESIDENT_ID


@pytest.fixture(autouse=True)
def _english():
    """Messages are matched in English here; their zh-hans text is checked by the translation tests."""
    from django.utils import translation

    with translation.override("en"):
        yield


def test_standard_example_is_valid_and_female():
    check = parse_identity(RID, "11010519491231002X")
    assert check.ok, check.errors
    assert check.birth_date == dt.date(1949, 12, 31)
    assert check.sex == "F"  # sequence 002 is even
    assert check.area_code == "110105"


@pytest.mark.parametrize(
    "raw", ["１１０１０５１９４９１２３１００２ｘ", "110105 19491231 002x", "1101-0519-4912-3100-2X"]
)
def test_full_width_spaces_and_lowercase_are_normalised(raw):
    assert parse_identity(RID, raw).value == "11010519491231002X"


def test_wrong_check_character_is_an_error():
    check = parse_identity(RID, "110105194912310021")
    assert not check.ok and "check character" in check.errors[0]


def test_impossible_date_is_an_error():
    # 1949-02-30 does not exist; check character recomputed so only the date is wrong.
    from bangfu.core.identity import check_character

    first17 = "11010519490230002"
    check = parse_identity(RID, first17 + check_character(first17))
    assert not check.ok and "not a real date" in check.errors[0]


def test_fifteen_digit_number_is_converted():
    # 15-digit 110105491231002 → insert 19 → 11010519491231002 + check X
    assert convert_15_to_18("110105491231002") == "11010519491231002X"
    assert parse_identity(RID, "110105491231002").value == "11010519491231002X"


@pytest.mark.parametrize("raw", ["1.10105E+17", "1.1E+17", "110105194912310000.0"])
def test_excel_damaged_numbers_are_reported_not_repaired(raw):
    check = parse_identity(RID, raw)
    assert not check.ok and "Excel" in check.errors[0]


def test_lost_trailing_x_is_reported_not_guessed():
    check = parse_identity(RID, "11010519491231002")
    assert not check.ok and check.value == ""


def test_unknown_area_is_a_warning_only():
    check = parse_identity(RID, "11010519491231002X", known_area=lambda code: False)
    assert check.ok and check.warnings


def test_register_mismatch_is_a_warning():
    check = parse_identity(RID, "11010519491231002X")
    warnings = compare_with_register(check, sex="M", birth_date=dt.date(1950, 1, 1))
    assert len(warnings) == 2


def test_other_documents():
    from bangfu.core.identity import check_character

    hk17 = "81000019800101001"
    assert parse_identity(DocumentType.HMT_PERMIT, hk17 + check_character(hk17)).ok
    assert not parse_identity(DocumentType.HMT_PERMIT, "11010519491231002X").ok
    assert not parse_identity(RID, hk17 + check_character(hk17)).ok  # 81 is not a mainland area
    fpr17 = "93315619850101001"
    assert parse_identity(DocumentType.FOREIGN_PR, fpr17 + check_character(fpr17)).ok
    assert parse_identity(DocumentType.BIRTH_CERTIFICATE, "o440123456").value == "O440123456"
    assert not parse_identity(DocumentType.BIRTH_CERTIFICATE, "4401234567").ok


def test_masks():
    assert mask_id_number("11010519491231002X") == "110105********002X"
    assert mask_bank_account("6222021234567890123") == "*" * 15 + "0123"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_name("张三丰") == "张**"
    assert mask_name("欧阳娜娜") == "欧阳**"
    assert mask_name("李") == "李"


def test_encryption_round_trip_and_rotation(settings):
    token = crypto.encrypt("11010519491231002X")
    assert "11010519491231002X" not in token
    assert crypto.decrypt(token) == "11010519491231002X"
    assert crypto.encrypt("x") != crypto.encrypt("x")  # random nonce
    import base64
    import os

    new_key = base64.urlsafe_b64encode(os.urandom(32)).decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, *settings.FIELD_ENCRYPTION_KEYS]
    assert crypto.decrypt(token) == "11010519491231002X"  # old key still readable
    assert crypto.key_id_of(crypto.encrypt("y")) == crypto.current_key_id() != crypto.key_id_of(token)


def test_tampered_ciphertext_is_refused():
    from cryptography.exceptions import InvalidTag

    token = crypto.encrypt("secret")
    prefix, key_id, payload = token.split(":", 2)
    tampered = f"{prefix}:{key_id}:{payload[:-4]}AAAA"
    with pytest.raises((InvalidTag, ValueError)):
        crypto.decrypt(tampered)


def test_keyed_hash_is_stable_and_keyed(settings):
    a = crypto.keyed_hash("11010519491231002X")
    assert a == crypto.keyed_hash("11010519491231002X")
    settings.IDENTITY_HASH_KEY = "another-key"
    assert crypto.keyed_hash("11010519491231002X") != a
