"""Data built once for a group of tests that only read it (what Django's `TestCase.setUpTestData` does).

Seeding the demo archives takes seconds to a minute; tests that each seeded the same demo only to read it now
share one seeding through a class- or module-scoped fixture:

    @pytest.fixture(scope="class")
    def demo(django_db_setup, django_db_blocker, _media_dir):
        with shared_data(django_db_blocker, _media_dir, seed_the_demo) as data:
            yield data

The data is written inside a transaction that stays open while the tests of the scope run and is rolled back
after the last one, so no other test ever sees it. Each test still gets its own transaction inside it (the
`db` fixture's, a savepoint here) and rolled back at its end: a test that writes changes nothing the next one
reads. Tests that use such a fixture must be plain `django_db` tests (not transactional).
"""

from __future__ import annotations

import contextlib
import sys

from django.db import transaction
from django.test import override_settings

# The settings every test runs with (the root conftest's autouse fixtures set them for each test); a shared
# fixture is set up before those, so it applies them itself while it builds.
TEST_SETTINGS = {
    # One PBKDF2 iteration (tests/hashers.py); the policy code is unchanged.
    "PASSWORD_HASHERS": ["tests.hashers.FastTestHasher"],
    "DPV_DEFAULT_HISTORY_HASHER": "tests.hashers.FastTestHasher",
    # `seed_demo` in tests builds the tree and users only, unless a test asks for households.
    "DEMO_HOUSEHOLDS": 0,
}


@contextlib.contextmanager
def shared_data(django_db_blocker, media_root, build, *args, **kwargs):
    """Run `build(*args, **kwargs)` in a transaction that is rolled back when the block ends; yields its result."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            with override_settings(**TEST_SETTINGS, MEDIA_ROOT=media_root):
                data = build(*args, **kwargs)
        except BaseException:
            atomic.__exit__(*sys.exc_info())
            raise
    try:
        yield data
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
