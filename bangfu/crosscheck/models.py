"""Models of bangfu.crosscheck (DOMAIN.md §6): government data sources and their schemas, the snapshots loaded
from them (only rows that matched an archived person are kept), the cross-check rules with their parameters as
versioned data, the check runs and the findings they raise.

Snapshot rows keep their values in four typed columns (`code`, `event_date`, `amount_fen`, `quantity`) that
each source's schema maps its columns onto, plus a small JSON `extra` for display only. The rules are plain SQL
over those typed columns, identical on SQLite and PostgreSQL and indexable; a JSON-only row would need
vendor-specific JSON operators in every rule.

Snapshot rows and findings are written in bulk by set-based SQL (hundreds of thousands per load or run) that
reads their households, members, snapshot, rule and run in the same transaction, so their foreign keys carry
no database constraint (`db_constraint=False`): PostgreSQL checks a deferred constraint with one query per row
at COMMIT (measured: 35 s for 220,000 snapshot rows × 3 keys on the benchmark machine). Deletions still go
through the ORM, which cascades / sets NULL / protects as declared; the indexes stay.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from bangfu.core.scoping import ReferenceQuerySet, ScopedQuerySet


class SourceKind(models.TextChoices):
    ROSTER = "roster", _("Roster")
    CHANGES = "changes", _("Change feed")
    RECORDS = "records", _("Records")


class ColumnType(models.TextChoices):
    ID_NUMBER = "id_number", _("ID number")
    DATE = "date", _("Date")
    MONTH = "month", _("Month")
    MONEY = "money", _("Amount (yuan)")
    INT = "int", _("Whole number")
    TEXT = "text", _("Text")
    CODE = "code", _("Code")


class DataSource(models.Model):
    """A government data set shared with the unions, with its schema as data.

    `columns` is a list of {"key", "type", "required", "role", "aliases": [...], "choices": {value: [aliases]},
    "label_zh", "label_en"}; `role` names the typed column of `SnapshotRow` the value goes to
    ("code", "event_date", "amount_fen", "quantity", "extra" or "identity").
    """

    scope_org_path = None

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    department = models.CharField(_("department"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=SourceKind.choices)
    columns = models.JSONField(_("columns"), default=list)
    enabled = models.BooleanField(_("enabled"), default=True)
    description = models.TextField(_("description"), blank=True)

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("government data source")
        verbose_name_plural = _("government data sources")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def column(self, key: str) -> dict | None:
        return next((c for c in self.columns if c["key"] == key), None)


class SnapshotState(models.TextChoices):
    LOADING = "loading", _("Loading")
    LOADED = "loaded", _("Loaded")
    FAILED = "failed", _("Failed")


class Channel(models.TextChoices):
    UPLOAD = "upload", _("File upload")
    API = "api", _("API push")


class SnapshotQuerySet(ScopedQuerySet):
    pass


class Snapshot(models.Model):
    """One load of one source by one union; versioned per (source, union). The raw file is deleted after
    ingestion: only its name and SHA-256 stay (data minimisation)."""

    scope_org_path = "org__path"

    source = models.ForeignKey(DataSource, verbose_name=_("data source"), on_delete=models.PROTECT,
                               related_name="snapshots")
    org = models.ForeignKey("orgs.Org", verbose_name=_("loading union"), on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(_("version"))
    as_of = models.DateField(_("data as of"))
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    file_sha256 = models.CharField(_("file SHA-256"), max_length=64, blank=True)
    state = models.CharField(_("state"), max_length=8, choices=SnapshotState.choices, default=SnapshotState.LOADING)
    is_latest = models.BooleanField(_("latest of its source and union"), default=False)
    rows_read = models.PositiveIntegerField(_("rows read"), default=0)
    rows_matched = models.PositiveIntegerField(_("rows matched (kept)"), default=0)
    rows_discarded = models.PositiveIntegerField(_("rows discarded (no archived person)"), default=0)
    rows_rejected = models.PositiveIntegerField(_("rows rejected (invalid)"), default=0)
    rejected_rows = models.JSONField(_("rejected rows (masked)"), default=list, blank=True)
    error = models.TextField(_("error"), blank=True)
    loaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("loaded by"), null=True,
                                  on_delete=models.PROTECT, related_name="+")
    loaded_at = models.DateTimeField(_("loaded at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    seconds = models.FloatField(_("seconds"), null=True, blank=True)

    objects = SnapshotQuerySet.as_manager()

    class Meta:
        verbose_name = _("snapshot")
        verbose_name_plural = _("snapshots")
        ordering = ["-loaded_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "org", "version"], name="crosscheck_snapshot_version"),
        ]

    def __str__(self) -> str:
        return f"{self.source} v{self.version}"


class SnapshotRow(models.Model):
    """A kept (matched) row: never the plain ID, only its keyed hash and the member it resolved to."""

    scope_org_path = "household__org__path"

    # db_index=False: the (snapshot, household) index serves the snapshot's rows
    snapshot = models.ForeignKey(Snapshot, verbose_name=_("snapshot"), on_delete=models.CASCADE, related_name="rows",
                                 db_constraint=False, db_index=False)
    row_number = models.PositiveIntegerField(_("row"))
    identity_hash = models.CharField(_("identity hash"), max_length=64)
    member = models.ForeignKey("registry.Member", verbose_name=_("member"), null=True, on_delete=models.SET_NULL,
                               related_name="+", db_constraint=False)
    household = models.ForeignKey("registry.Household", verbose_name=_("household"), on_delete=models.CASCADE,
                                  related_name="+", db_constraint=False)
    code = models.CharField(_("code"), max_length=32, blank=True)
    event_date = models.DateField(_("date"), null=True, blank=True)
    amount_fen = models.BigIntegerField(_("amount (fen)"), null=True, blank=True)
    quantity = models.IntegerField(_("quantity"), null=True, blank=True)
    extra = models.JSONField(_("other values (masked)"), default=dict, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("snapshot row")
        verbose_name_plural = _("snapshot rows")
        ordering = ["snapshot_id", "row_number"]
        indexes = [models.Index(fields=["snapshot", "household"], name="crosscheck_row_snap_hh")]

    def __str__(self) -> str:
        return f"{self.snapshot_id}:{self.row_number}"


class Severity(models.TextChoices):
    INFO = "info", _("Information")
    WARNING = "warning", _("Warning")
    CRITICAL = "critical", _("Critical")


class RuleAction(models.TextChoices):
    RECLASSIFY = "reclassify", _("Re-classify (newly on the minimum-living roster)")
    EXIT_REVIEW = "exit_review", _("Ineligible: review for exit")
    SIZE_CHANGE = "size_change", _("Household size changes (death)")
    INCOME_DISCREPANCY = "income_discrepancy", _("Income discrepancy")
    DUPLICATE = "duplicate", _("Duplicate archive")
    RELAPSE = "relapse", _("Relapse (exited household)")


class CheckRule(models.Model):
    """One version of a cross-check rule's parameters. An edit writes a new version row and makes it current;
    each finding points at the version that raised it."""

    scope_org_path = None

    code = models.SlugField(_("code"), max_length=40)
    version = models.PositiveIntegerField(_("version"), default=1)
    is_current = models.BooleanField(_("current version"), default=True)
    title = models.CharField(_("title"), max_length=200)
    sources = models.JSONField(_("data sources"), default=list, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices, default=Severity.WARNING)
    action = models.CharField(_("action"), max_length=24, choices=RuleAction.choices)
    automatic = models.BooleanField(
        _("acts automatically"), default=False,
        help_text=_("On: the action is taken at evaluation time and the finding recorded as confirmed. "
                    "Off: a reviewer confirms or dismisses each finding."))
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    note = models.CharField(_("reason for this version"), max_length=300, blank=True)
    edited_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("edited by"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("cross-check rule")
        verbose_name_plural = _("cross-check rules")
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="crosscheck_rule_version"),
            models.UniqueConstraint(fields=["code"], condition=Q(is_current=True), name="crosscheck_rule_current"),
        ]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"


class RunState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    INTERRUPTED = "interrupted", _("Interrupted (re-run to complete)")


class CheckRun(models.Model):
    """The evaluation of every enabled rule for one union's subtree on one date."""

    scope_org_path = "org__path"

    org = models.ForeignKey("orgs.Org", verbose_name=_("union"), on_delete=models.PROTECT, related_name="+")
    on = models.DateField(_("evaluation date"))
    state = models.CharField(_("state"), max_length=12, choices=RunState.choices, default=RunState.QUEUED)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("started by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    rules_done = models.JSONField(_("rules done"), default=list, blank=True)
    findings_opened = models.PositiveIntegerField(_("findings opened"), default=0)
    automatic_actions = models.PositiveIntegerField(_("automatic actions"), default=0)
    households_checked = models.PositiveIntegerField(_("households checked"), default=0)
    households_unauthorised = models.PositiveIntegerField(_("open households without authorisation"), default=0)
    error = models.TextField(_("error"), blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("check run")
        verbose_name_plural = _("check runs")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.org} {self.on}"


class FindingState(models.TextChoices):
    OPEN = "open", pgettext_lazy("finding", "Open")
    CONFIRMED = "confirmed", pgettext_lazy("finding", "Confirmed")
    DISMISSED = "dismissed", pgettext_lazy("finding", "Dismissed")


class FindingQuerySet(ScopedQuerySet):
    def open(self):
        return self.filter(state=FindingState.OPEN)


class Finding(models.Model):
    """A reviewable flag with its evidence (masked values only, never a plain ID number)."""

    scope_org_path = "household__org__path"

    household = models.ForeignKey("registry.Household", verbose_name=_("household"), on_delete=models.CASCADE,
                                  related_name="crosscheck_findings", db_constraint=False)
    member = models.ForeignKey("registry.Member", verbose_name=_("member"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+", db_constraint=False)
    # no index on rule, snapshot and resolved_by: nothing looks findings up by them (the ORM's PROTECT / SET_NULL
    # on a rarely deleted rule version, snapshot or user scans instead) and each index costs every bulk insert
    rule = models.ForeignKey(CheckRule, verbose_name=_("rule (version)"), on_delete=models.PROTECT,
                             related_name="findings", db_constraint=False, db_index=False)
    # db_index=False: the unique (rule_code, household, evidence_key) index serves lookups by rule
    rule_code = models.SlugField(_("rule"), max_length=40, db_index=False)
    run = models.ForeignKey(CheckRun, verbose_name=_("check run"), null=True, blank=True, on_delete=models.SET_NULL,
                            related_name="findings", db_constraint=False)
    snapshot = models.ForeignKey(Snapshot, verbose_name=_("snapshot"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="findings", db_constraint=False,
                                 db_index=False)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices)
    action = models.CharField(_("action"), max_length=24, choices=RuleAction.choices)
    evidence_key = models.CharField(_("evidence key"), max_length=200)
    evidence = models.JSONField(_("evidence"), default=dict)
    # no index of its own: the queue index (state, severity, -opened_at) starts with it
    state = models.CharField(_("state"), max_length=12, choices=FindingState.choices, default=FindingState.OPEN)
    opened_at = models.DateTimeField(_("opened at"))
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("resolved by"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+", db_index=False)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    automatic = models.BooleanField(_("resolved automatically"), default=False)
    action_result = models.CharField(_("action taken"), max_length=300, blank=True)

    objects = FindingQuerySet.as_manager()

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        ordering = ["-opened_at", "-id"]
        constraints = [
            # A re-run adds no duplicate: one finding per (rule, household, evidence) — in any state, so a
            # dismissed finding does not come back with the same evidence.
            models.UniqueConstraint(fields=["rule_code", "household", "evidence_key"], name="crosscheck_finding_once"),
        ]
        indexes = [models.Index(fields=["state", "severity", "-opened_at"], name="crosscheck_finding_queue")]

    def __str__(self) -> str:
        return f"{self.rule_code} #{self.pk}"
