"""Model fields for sensitive data (DOMAIN.md §9)."""

from __future__ import annotations

from django.db import models

from bangfu.core import crypto


class EncryptedTextField(models.TextField):
    """Text stored encrypted at rest (AES-256-GCM, see `bangfu.core.crypto`).

    The Python value is the clear text; the column holds `v1:<key id>:<payload>`. It cannot be
    searched or sorted in SQL: keep a keyed hash beside it for exact lookups and a masked copy for
    lists, so list pages never decrypt (and never hold clear values).
    """

    description = "Text encrypted at rest"

    def from_db_value(self, value, expression, connection):
        return crypto.decrypt(value) if value else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return crypto.encrypt(value)

    def get_lookup(self, lookup_name):
        # Ciphertexts are randomised: only null checks make sense in SQL.
        if lookup_name not in ("isnull",):
            return None
        return super().get_lookup(lookup_name)


def encrypted_fields():
    """Every (model, field) pair in the project that uses EncryptedTextField."""
    from django.apps import apps

    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedTextField):
                yield model, field
