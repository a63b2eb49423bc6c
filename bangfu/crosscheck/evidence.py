"""A finding's evidence for display (page and API): labelled, masked, and the other archive of a duplicate named
only where the user may see it. An archive outside the user's view is "another union's archive" and nothing
more: not its number, nor its member's masked ID (`OTHER_ARCHIVE_KEYS`), so a finding of union A tells a user
of A nothing about the archives of a sibling union B."""

from __future__ import annotations

from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from bangfu.crosscheck.models import DataSource
from bangfu.funds.money import FEN_PER_YUAN
from bangfu.registry.models import Household

LABELS = {
    "source_name": gettext_lazy("Data source"),
    "version": gettext_lazy("Snapshot version"),
    "as_of": gettext_lazy("Data as of"),
    "row": gettext_lazy("Row in the file"),
    "identity_masked": gettext_lazy("ID number (masked)"),
    "code": gettext_lazy("Value"),
    "date": gettext_lazy("Date"),
    "amount_fen": gettext_lazy("Amount"),
    "quantity": gettext_lazy("Quantity"),
    "homes": gettext_lazy("Homes"),
    "total_fen": gettext_lazy("Total"),
    "limit_fen_per_person": gettext_lazy("Limit per person"),
    "household_size": gettext_lazy("Household size"),
    "max_base_fen": gettext_lazy("Highest contribution base"),
    "declared_fen": gettext_lazy("Declared monthly income"),
    "months": gettext_lazy("Months"),
    "ratio": gettext_lazy("Ratio threshold"),
    "other_identity_masked": gettext_lazy("Other archive's ID number (masked)"),
    "birth_date": gettext_lazy("Birth date"),
    "sex": gettext_lazy("Sex"),
}


# English labels of the shipped code values; in Chinese the schema's first alias (e.g. "低保") is the label.
CODE_LABELS = {
    "dibao": gettext_lazy("Minimum living allowance (dibao)"),
    "tekun": gettext_lazy("Extreme-poverty support (tekun)"),
    "new": gettext_lazy("Added"),
    "exit": gettext_lazy("Exited"),
    "death": gettext_lazy("Death"),
    "pension": gettext_lazy("Pension"),
    "unemployment": gettext_lazy("Unemployment benefit"),
    "injury": gettext_lazy("Work-injury benefit"),
    "other": gettext_lazy("Other"),
    "residential": gettext_lazy("Residential"),
    "shop": gettext_lazy("Shop"),
}


def _chinese() -> bool:
    return (get_language() or "zh-hans").lower().startswith("zh")


def _column_label(source: DataSource | None, key: str) -> str:
    """A schema column's header in the user's language, the raw key only for a column the schema lacks."""
    column = source.column(key) if source else None
    if not column:
        return key
    return (column.get("label_zh") if _chinese() else column.get("label_en")) or column.get("label_en") or key


def _code_label(source: DataSource | None, value) -> str:
    """A code value by its label: the schema's first alias in Chinese, the English label map otherwise."""
    column = next((c for c in (source.columns if source else []) if c.get("role") == "code"), None)
    aliases = ((column or {}).get("choices") or {}).get(str(value)) or []
    if _chinese() and aliases:
        return str(aliases[0])
    if str(value) in CODE_LABELS:
        return str(CODE_LABELS[str(value)])
    return str(aliases[0]) if aliases else str(value)


def _source(finding, evidence) -> DataSource | None:
    if evidence.get("source"):
        return DataSource.objects.filter(code=evidence["source"]).first()
    snapshot = getattr(finding, "snapshot", None)
    return snapshot.source if snapshot is not None else None


def _yuan(fen) -> str:
    return f"{int(fen) / FEN_PER_YUAN:,.2f}"


# What the stored evidence holds about the other archive of a duplicate: shown only to a user who may view it.
OTHER_ARCHIVE_KEYS = ("other_household", "other_member", "other_identity_masked")


def _visible_other(finding, user) -> Household | None:
    """The other archive of a duplicate finding if the user may view it (memoised on the finding)."""
    other_pk = (finding.evidence or {}).get("other_household")
    if not other_pk:
        return None
    cache = finding.__dict__.setdefault("_visible_other", {})
    if user.pk not in cache:
        cache[user.pk] = Household.objects.restrict(user, "view").filter(pk=other_pk).only("archive_number").first()
    return cache[user.pk]


def other_archive(finding, user) -> str:
    if not (finding.evidence or {}).get("other_household"):
        return ""
    other = _visible_other(finding, user)
    return other.archive_number if other else _("another union's archive")


def evidence_rows(finding, user) -> list[tuple[str, str]]:
    evidence = dict(finding.evidence or {})
    if evidence.get("other_household") and _visible_other(finding, user) is None:
        for key in OTHER_ARCHIVE_KEYS[1:]:
            evidence.pop(key, None)
    source = _source(finding, evidence)
    code_column = next((c for c in (source.columns if source else []) if c.get("role") == "code"), None)
    rows = []
    for key, label in LABELS.items():
        value = evidence.get(key)
        if value in (None, "", {}):
            continue
        if key.endswith("_fen"):
            value = _yuan(value)
        elif key == "code":
            label = _column_label(source, code_column["key"]) if code_column else label
            value = _code_label(source, value)
        rows.append((str(label), str(value)))
    for key, value in (evidence.get("values") or {}).items():
        rows.append((_column_label(source, key), str(value)))
    if evidence.get("other_household"):
        rows.append((_("Other archive"), other_archive(finding, user)))
    return rows


def public_evidence(finding, user) -> dict:
    """The stored evidence for the API, with the other archive replaced by what the user may know of it: its
    archive number and its member's masked ID if the user may view it, "another union's archive" otherwise."""
    evidence = dict(finding.evidence or {})
    if "other_household" in evidence:
        evidence["other_archive"] = other_archive(finding, user)
        visible = _visible_other(finding, user) is not None
        for key in OTHER_ARCHIVE_KEYS:
            if key != "other_identity_masked" or not visible:
                evidence.pop(key, None)
    return evidence
