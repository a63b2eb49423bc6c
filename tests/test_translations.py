"""Every user-facing string has its simplified-Chinese translation.

The source strings (msgids) are English; simplified Chinese is the default UI language. This test
re-extracts the catalogue from the code and templates as they are now (Django's makemessages into a
temporary copy of locale/), so a new string that nobody translated, or a stale catalogue, fails here.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command

LOCALE = Path(settings.BASE_DIR) / "locale"


def _require_gettext():
    if shutil.which("xgettext") is None or shutil.which("msgmerge") is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("GNU gettext (xgettext, msgmerge) is required in CI")
        pytest.skip("GNU gettext is not installed; install the 'gettext' package to run this check")


def test_every_user_facing_string_has_a_zh_hans_translation(tmp_path, monkeypatch):
    _require_gettext()
    # makemessages writes into the `locale/` of the directory it scans, whatever LOCALE_PATHS says: run it
    # on the real catalogue, read the result, and put the committed file back byte for byte.
    committed = LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po"
    original = committed.read_bytes()
    monkeypatch.chdir(settings.BASE_DIR)
    try:
        call_command(
            "makemessages", locale=["zh_Hans"], domain="django", no_obsolete=True, verbosity=0,
            ignore_patterns=[".venv/*", "node_modules/*", "staticfiles/*", "var/*", "tests/*", "bench/*", "*/tests/*"],
        )
        catalogue = polib.pofile(str(committed))
    finally:
        committed.write_bytes(original)
    missing = [e.msgid for e in catalogue if not e.obsolete and (not e.translated() or "fuzzy" in e.flags)]
    assert not missing, f"{len(missing)} strings lack a zh-hans translation, e.g.: {missing[:15]}"


def test_committed_catalogue_has_no_untranslated_or_fuzzy_entries():
    catalogue = polib.pofile(str(LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    bad = [e.msgid for e in catalogue if not e.obsolete and (not e.translated() or "fuzzy" in e.flags)]
    assert not bad, bad[:15]


def test_default_language_is_simplified_chinese(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert 'lang="zh-hans"' in response.content.decode()
