"""Text messages through a pluggable backend, like Django's e-mail backends.

`BANGFU_SMS_BACKEND` names the class (default: the console backend, which writes the message to the log
and stdout). A real gateway is one class with `send(phone, text) -> None` that raises `SmsError` on failure.
`LocmemSmsBackend` keeps messages in `outbox` for tests.
"""

from __future__ import annotations

import logging
import sys

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class SmsError(Exception):
    pass


class BaseSmsBackend:
    def send(self, phone: str, text: str) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class ConsoleSmsBackend(BaseSmsBackend):
    def send(self, phone: str, text: str) -> None:
        masked = phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else "***"
        sys.stdout.write(f"[SMS to {masked}] {text}\n")
        logger.info("SMS to %s: %s", masked, text)


outbox: list[tuple[str, str]] = []


class LocmemSmsBackend(BaseSmsBackend):
    def send(self, phone: str, text: str) -> None:
        outbox.append((phone, text))


def get_backend() -> BaseSmsBackend:
    path = getattr(settings, "BANGFU_SMS_BACKEND", "bangfu.notifications.sms.ConsoleSmsBackend")
    return import_string(path)()
