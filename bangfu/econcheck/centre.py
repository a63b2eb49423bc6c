"""The connection to the check centre's system, through a pluggable backend (like the SMS backends).

`BANGFU_CHECK_CENTRE_BACKEND` names the class (default: `FileCentreBackend`, which writes nothing anywhere and
logs only the request number and the number of persons: the request then goes to the centre as a file). A real
connection is one class with `send(payload) -> str` (the centre's receipt, may be empty) that raises
`CentreError` when the centre does not take the request. `LocmemCentreBackend` keeps payloads in `outbox` for tests.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class CentreError(Exception):
    """The centre refused the request or could not be reached."""


class BaseCentreBackend(ABC):
    connected = True  # False: no system to send to (the request page then offers only the file)

    @abstractmethod
    def send(self, payload: dict) -> str: ...


class FileCentreBackend(BaseCentreBackend):
    """No connection configured: nothing leaves the platform here (the request file is the way out)."""

    connected = False

    def send(self, payload: dict) -> str:
        logger.info("check request %s (%s persons): no centre connection configured; send the request file",
                    payload.get("request"), len(payload.get("persons", ())))
        return ""


outbox: list[dict] = []


class LocmemCentreBackend(BaseCentreBackend):
    """Tests: payloads appended to `bangfu.econcheck.centre.outbox` (empty it between tests)."""

    outbox = outbox

    def send(self, payload: dict) -> str:
        outbox.append(payload)
        return f"locmem-{len(outbox)}"


class FailingCentreBackend(BaseCentreBackend):
    """Tests: the centre cannot be reached."""

    def send(self, payload: dict) -> str:
        raise CentreError("connection refused")


def get_backend() -> BaseCentreBackend:
    path = getattr(settings, "BANGFU_CHECK_CENTRE_BACKEND", "bangfu.econcheck.centre.FileCentreBackend")
    return import_string(path)()
