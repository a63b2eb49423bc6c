"""Fixtures of the notifications tests: mail and SMS kept in memory, and a second user to prove that nobody
sees another user's notices."""

from __future__ import annotations

import pytest

from bangfu.accounts.roles import Role
from bangfu.notifications import sms

LOCMEM_MAIL = "django.core.mail.backends.locmem.EmailBackend"
LOCMEM_SMS = "bangfu.notifications.sms.LocmemSmsBackend"


@pytest.fixture
def outboxes(settings, mailoutbox):
    """E-mail to `mail.outbox` (locmem backend) and SMS to `sms.outbox` (LocmemSmsBackend), both empty."""
    settings.EMAIL_BACKEND = LOCMEM_MAIL
    settings.BANGFU_SMS_BACKEND = LOCMEM_SMS
    sms.outbox.clear()
    yield {"mail": mailoutbox, "sms": sms.outbox}
    sms.outbox.clear()


@pytest.fixture
def recipient(tree):
    """A case worker with an e-mail address and a phone."""
    user = tree.user("recipient", tree.grassroots, Role.CASE_WORKER)
    user.email, user.phone = "recipient@example.org", "13812345678"
    user.save(update_fields=["email", "phone"])
    return user


@pytest.fixture
def other_user(tree):
    return tree.user("colleague", tree.grassroots, Role.CASE_WORKER)


@pytest.fixture(autouse=True)
def _english(english):
    """Messages are asserted in English (the default UI language is simplified Chinese)."""


@pytest.fixture
def signed_in(signed_in_en):
    """The project's `signed_in(user)`, asking for English pages."""
    return signed_in_en
