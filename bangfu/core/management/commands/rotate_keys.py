"""Re-encrypt every encrypted column under the current key (the first of BANGFU_FIELD_KEYS).

Rotation: put the new key first in BANGFU_FIELD_KEYS, keep the old ones after it, run this
command, then remove the old keys. Rows are read raw (no decryption into model instances) and
rewritten in batches inside transactions, so an interrupted run is simply run again.
"""

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from bangfu.core import crypto
from bangfu.core.fields import encrypted_fields


class Command(BaseCommand):
    help = "Re-encrypt sensitive fields under the current encryption key."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=2000)

    def handle(self, *args, batch_size: int, **options):
        current = crypto.current_key_id()
        quote = connection.ops.quote_name
        total = 0
        for model, field in encrypted_fields():
            table, column, pk = quote(model._meta.db_table), quote(field.column), quote(model._meta.pk.column)
            rewritten = 0
            while True:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(
                        f"SELECT {pk}, {column} FROM {table} WHERE {column} IS NOT NULL AND {column} <> '' "  # noqa: S608
                        f"AND {column} NOT LIKE %s ORDER BY {pk} LIMIT %s",
                        [f"{crypto.PREFIX}:{current}:%", batch_size],
                    )
                    rows = cursor.fetchall()
                    if not rows:
                        break
                    cursor.executemany(
                        f"UPDATE {table} SET {column} = %s WHERE {pk} = %s",  # noqa: S608
                        [(crypto.encrypt(crypto.decrypt(value)), key) for key, value in rows],
                    )
                    rewritten += len(rows)
            total += rewritten
            self.stdout.write(f"{model._meta.label}.{field.name}: {rewritten} re-encrypted")
        self.stdout.write(f"done: {total} values now under key {current}")
