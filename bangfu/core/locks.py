"""Advisory locks (PostgreSQL), shared by the apps that serialise bulk work (cross-checks, matching rounds).

A lock is named by a few parts (e.g. "snapshot", source id, union id) hashed into one 64-bit key, so loads of
different sources or unions never wait for each other; a collision of two keys only serialises two unrelated
operations. Transaction-level locks end with the transaction, session-level ones with the connection — a
worker killed by kill -9 leaves no lock behind.

On other databases (SQLite, for development) there are no advisory locks: the functions do nothing and
`is_held` answers None (unknown); SQLite lets one writer at a time anyway.
"""

from __future__ import annotations

import hashlib

from django.db import DatabaseError, connection

_MASK32 = 0xFFFFFFFF


def lock_key(*parts) -> int:
    """The signed 64-bit key of a lock named by `parts`."""
    name = ":".join(str(part) for part in ("bangfu", *parts))
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def _supported() -> bool:
    return connection.vendor == "postgresql"


def xact_lock(*parts) -> None:
    """Wait for the lock; it is held until the current transaction ends (call inside `transaction.atomic`)."""
    if _supported():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_key(*parts)])


def try_session_lock(*parts) -> bool:
    """Take the lock for this connection if nobody holds it; True when taken (always True without support)."""
    if not _supported():
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [lock_key(*parts)])
        return bool(cursor.fetchone()[0])


def session_unlock(*parts) -> None:
    """Release a session-level lock. Called from `finally`: a connection that broke has lost its locks already,
    and its error must not hide the one being raised."""
    if _supported():
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [lock_key(*parts)])
        except DatabaseError:
            pass


def is_held(*parts) -> bool | None:
    """Whether any connection holds the lock (None: the database cannot tell). Reads `pg_locks` rather than
    trying the lock, so that asking never makes its holder's own attempt fail. A bigint key appears there as
    classid = its high 32 bits, objid = its low 32 bits, objsubid = 1."""
    if not _supported():
        return None
    key = lock_key(*parts)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND classid = %s::bigint::oid AND objid = %s::bigint::oid)",
            [(key >> 32) & _MASK32, key & _MASK32])
        return bool(cursor.fetchone()[0])
