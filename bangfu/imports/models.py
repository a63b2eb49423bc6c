"""Models of bangfu.imports: the import job, its staging rows, its issues and the households it wrote.

* `ImportJob`: one uploaded file and its run (state, progress, counts, report), scoped by the union of
  the user who uploaded it.
* `StagedRow` / `StagedCause`: the validated rows of a job (identity numbers already hashed and
  encrypted), keyed by job; the set-based checks and the merge read them. On PostgreSQL the table is
  UNLOGGED (migration 0002): it is scratch space, rebuilt by a re-run, and never needs crash recovery.
* `ImportIssue`: one line of the report (row, column, masked value, message).
* `ImportedHousehold`: the stamp of each household a job created or changed (the registry needs no new
  column), with the fingerprint of the encrypted values it wrote so a re-import can tell "unchanged".
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from bangfu.core.scoping import ScopedQuerySet


class ImportJobQuerySet(ScopedQuerySet):
    pass


class ImportJob(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    class Mode(models.TextChoices):
        ALL_OR_NOTHING = "all_or_nothing", _("All or nothing")
        PARTIAL = "partial", _("Load the valid households, report the rejected rows")

    class Kind(models.TextChoices):
        XLSX = "xlsx", "Excel (.xlsx)"
        CSV = "csv", "CSV"

    FINISHED = (State.SUCCEEDED, State.FAILED, State.CANCELLED)

    scope_org_path = "org__path"

    org = models.ForeignKey("orgs.Org", verbose_name=_("union"), on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    file = models.CharField(_("stored file"), max_length=255, editable=False)
    # The upload holds full identity numbers and bank accounts in plain text: it is deleted as soon as no
    # "run again" can need it (services.release_upload, purge_expired_uploads); its digest stays, so a
    # file can still be recognised afterwards.
    file_sha256 = models.CharField(_("SHA-256 of the file"), max_length=64, blank=True, editable=False)
    file_deleted_at = models.DateTimeField(_("file deleted at"), null=True, blank=True, editable=False)
    original_name = models.CharField(_("file name"), max_length=255)
    kind = models.CharField(_("file type"), max_length=8, choices=Kind.choices)
    encoding = models.CharField(_("encoding"), max_length=16, blank=True)
    size = models.BigIntegerField(_("size (bytes)"), default=0)
    mode = models.CharField(_("import mode"), max_length=16, choices=Mode.choices, default=Mode.ALL_OR_NOTHING)
    language = models.CharField(
        _("report language"), max_length=16, default="zh-hans",
        help_text=_("The uploader's language: the per-row report is written in it."),
    )
    dry_run = models.BooleanField(_("dry run (check only, import nothing)"), default=False)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.QUEUED, db_index=True)
    cancel_requested = models.BooleanField(_("cancel requested"), default=False)
    rows_total = models.PositiveIntegerField(_("rows (estimated)"), default=0)
    rows_read = models.PositiveIntegerField(_("rows read"), default=0)
    rows_rejected = models.PositiveIntegerField(_("rows rejected"), default=0)
    households_created = models.PositiveIntegerField(_("households created"), default=0)
    households_changed = models.PositiveIntegerField(_("households changed"), default=0)
    households_unchanged = models.PositiveIntegerField(_("households unchanged"), default=0)
    households_rejected = models.PositiveIntegerField(_("households rejected"), default=0)
    members_created = models.PositiveIntegerField(_("members created"), default=0)
    issues_count = models.PositiveIntegerField(_("problems found"), default=0)
    error = models.TextField(_("error"), blank=True)
    preview = models.JSONField(_("preview"), default=list, blank=True)
    report_file = models.CharField(_("report file"), max_length=255, blank=True, editable=False)
    audit_job = models.ForeignKey(
        "audit.Job", verbose_name=_("audit record"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", editable=False,
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.original_name}"

    @property
    def is_finished(self) -> bool:
        return self.state in self.FINISHED

    @property
    def file_available(self) -> bool:
        """The uploaded file is still on disk (not yet deleted after the run or the retention period)."""
        return bool(self.file) and self.file_deleted_at is None

    @property
    def percent(self) -> int:
        if self.state == self.State.SUCCEEDED:
            return 100
        if not self.rows_total:
            return 0
        return min(99, int(self.rows_read * 100 / self.rows_total))


class StagedRow(models.Model):
    """One validated row of a job. Household facts are set on the head's row only."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="+", db_index=False)
    row_no = models.PositiveIntegerField()
    ok = models.BooleanField(default=True)
    hh_key = models.CharField(max_length=64, blank=True)  # keyed hash of the head's ID number
    is_head = models.BooleanField(default=False)
    identity_hash = models.CharField(max_length=64, blank=True)
    identity_number = models.TextField(blank=True)  # encrypted (bangfu.core.crypto.encrypt)
    identity_masked = models.CharField(max_length=24, blank=True)
    identity_warnings = models.TextField(blank=True, default="[]")  # JSON list
    document_type = models.CharField(max_length=16, blank=True)
    relation = models.CharField(max_length=24, blank=True)
    name = models.CharField(max_length=64, blank=True)
    name_initials = models.CharField(max_length=32, blank=True)
    name_masked = models.CharField(max_length=64, blank=True)
    sex = models.CharField(max_length=1, blank=True)
    birth_date = models.DateField(null=True)
    health = models.CharField(max_length=24, blank=True)
    disability_type = models.CharField(max_length=24, blank=True)
    disability_grade = models.PositiveSmallIntegerField(null=True)
    work_status = models.CharField(max_length=24, blank=True)
    is_student = models.BooleanField(default=False)
    school_stage = models.CharField(max_length=24, blank=True)
    marital_status = models.CharField(max_length=24, blank=True)
    hukou_type = models.CharField(max_length=24, blank=True)
    monthly_income_declared = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    phone = models.TextField(blank=True)  # encrypted
    phone_masked = models.CharField(max_length=16, blank=True)
    ethnicity = models.CharField(max_length=24, blank=True)
    secret_fp = models.BigIntegerField(default=0)  # 48 bits of a keyed hash of every value this row imports
    # Household facts (head row).
    org_id = models.BigIntegerField(null=True)
    division_id = models.CharField(max_length=6, blank=True)
    registration_division_id = models.CharField(max_length=6, blank=True)
    address = models.TextField(blank=True)  # encrypted
    housing_type = models.CharField(max_length=24, blank=True)
    housing_area = models.DecimalField(max_digits=7, decimal_places=2, null=True)
    single_parent = models.BooleanField(default=False)
    zero_employment = models.BooleanField(default=False)
    bank_name = models.CharField(max_length=64, blank=True)
    bank_account = models.TextField(blank=True)  # encrypted
    bank_account_last4 = models.CharField(max_length=4, blank=True)
    bank_account_holder = models.CharField(max_length=64, blank=True)
    # Merge bookkeeping.
    household_id = models.BigIntegerField(null=True)
    member_id = models.BigIntegerField(null=True)
    archive_number = models.CharField(max_length=32, blank=True, db_default="")
    action = models.CharField(max_length=10, blank=True, db_default="")  # household rows: created / changed / unchanged

    # No index: the COPY of a million rows would have to keep it up; every statement that reads staging
    # reads a whole job's rows (hash joins and aggregates), and a job's rows are deleted when it ends.

    def __str__(self) -> str:
        return f"{self.job_id}:{self.row_no}"


class StagedCause(models.Model):
    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="+")
    hh_key = models.CharField(max_length=64)
    code = models.CharField(max_length=24)
    is_main = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.job_id}:{self.code}"


class ImportIssue(models.Model):
    """One problem of one cell (or row): what the report lists."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="issues")
    row_no = models.PositiveIntegerField(_("row"))
    column = models.CharField(_("column"), max_length=64, blank=True)
    value = models.CharField(_("value"), max_length=100, blank=True)  # masked for identity numbers
    message = models.TextField(_("problem"))

    class Meta:
        verbose_name = _("import problem")
        verbose_name_plural = _("import problems")
        ordering = ["job_id", "row_no", "id"]

    def __str__(self) -> str:
        return f"{self.row_no} {self.column}"


class ImportedHousehold(models.Model):
    """A household a job created or changed (the job's stamp on the archive)."""

    class Action(models.TextChoices):
        CREATED = "created", _("Created")
        CHANGED = "changed", _("Changed")

    scope_org_path = "household__org__path"

    job = models.ForeignKey(ImportJob, verbose_name=_("import job"), on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(
        "registry.Household", verbose_name=_("household"), on_delete=models.CASCADE, related_name="+"
    )
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    fingerprint = models.BigIntegerField(default=0)
    # The household's updated_at as this job left it: a later change by the forms bumps it, so a re-import
    # compares the fingerprint only while the archive is as the job wrote it.
    household_updated_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("imported household")
        verbose_name_plural = _("imported households")
        indexes = [models.Index(fields=["household", "-id"], name="imports_household_latest")]

    def __str__(self) -> str:
        return f"{self.job_id}:{self.household_id}"
