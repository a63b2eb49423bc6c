"""Text messages through a pluggable backend, like Django's e-mail backends.

`BANGFU_SMS_BACKEND` names the class (default: the console backend, which writes the message to stdout and
the log with the phone number masked, 138****5678). A real gateway is one class with `send(phone, text) ->
None` that raises on failure (`SmsError` preferably); delivery records the failure on the notice and goes on.
`LocmemSmsBackend` keeps messages in `outbox` for tests (empty it between tests).
"""

from __future__ import annotations

import logging
import sys
from abc import ABC, abstractmethod

from django.conf import settings
from django.utils.module_loading import import_string

from bangfu.core.masking import mask_phone

logger = logging.getLogger(__name__)


class SmsError(Exception):
    """The gateway refused or could not take the message."""


class BaseSmsBackend(ABC):
    """What a gateway implements: send one message, raise `SmsError` when it cannot."""

    @abstractmethod
    def send(self, phone: str, text: str) -> None: ...


class ConsoleSmsBackend(BaseSmsBackend):
    """Development and demo: prints the message; the phone number never appears in full."""

    def send(self, phone: str, text: str) -> None:
        masked = mask_phone(phone) or "***"
        sys.stdout.write(f"[SMS to {masked}] {text}\n")
        sys.stdout.flush()
        logger.info("SMS to %s: %s", masked, text)


outbox: list[tuple[str, str]] = []


class LocmemSmsBackend(BaseSmsBackend):
    """Tests: (phone, text) pairs appended to `bangfu.notifications.sms.outbox`."""

    outbox = outbox

    def send(self, phone: str, text: str) -> None:
        outbox.append((phone, text))


def get_backend() -> BaseSmsBackend:
    path = getattr(settings, "BANGFU_SMS_BACKEND", "bangfu.notifications.sms.ConsoleSmsBackend")
    return import_string(path)()
