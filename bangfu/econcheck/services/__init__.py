"""Write functions of bangfu.econcheck: pages, the API and tests call these (see each module)."""

from bangfu.econcheck.services.requests import (  # noqa: F401
    cancel_request,
    candidates,
    create_request,
    export_request_file,
    send_request,
)
from bangfu.econcheck.services.results import import_results  # noqa: F401
