"""Audit: the field-level change log, bulk jobs and the access log (append-only).

The public API, importable anywhere (loaded lazily, so importing the package never needs the app registry):

    from bangfu import audit
    audit.register(Household, exclude=[...], masked={"id_number": mask_id_number})   # in AppConfig.ready()
    with audit.bulk_job("import", actor=user, model=Household) as job: ...
    audit.log_access(request, "export", obj=report, rows=120)
    @audit.audited_read("view")
"""

import importlib

_EXPORTS = {
    "register": "bangfu.audit.registry",
    "bulk_job": "bangfu.audit.jobs",
    "log_access": "bangfu.audit.access",
    "audited_read": "bangfu.audit.access",
}

__all__ = list(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
