"""The archive: one household (一户一档), its members, its causes (DOMAIN.md §1–2)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.expressions import OrderBy
from django.utils.translation import gettext_lazy as _

from bangfu.core.fields import EncryptedTextField
from bangfu.core.identity import DocumentType
from bangfu.core.masking import mask_bank_account, mask_id_number, mask_name, mask_phone
from bangfu.core.scoping import ScopedQuerySet


class State(models.TextChoices):
    """The lifecycle of an archive (DOMAIN.md §3); transitions live in `registry.lifecycle`."""

    DRAFT = "draft", _("Draft")
    APPLIED = "applied", _("Application")
    FIRST_CHECK = "first_check", _("First check")
    HOME_VISIT = "home_visit", _("Home visit")
    ECONOMIC_CHECK = "economic_check", _("Economic check")
    PUBLIC_NOTICE = "public_notice", _("Public notice")
    APPROVAL = "approval", _("Approval by the higher union")
    ACTIVE = "active", _("Active archive")
    REFUSED = "refused", _("Refused")
    EXITED = "exited", _("Exited")
    CANCELLED = "cancelled", _("Cancelled")
    MERGED = "merged", _("Merged into another archive")


# States in which a person "has an active archive": one such archive per person nationwide.
OPEN_STATES = frozenset(
    {State.DRAFT, State.APPLIED, State.FIRST_CHECK, State.HOME_VISIT, State.ECONOMIC_CHECK,
     State.PUBLIC_NOTICE, State.APPROVAL, State.ACTIVE}
)
CLOSED_STATES = frozenset({State.REFUSED, State.EXITED, State.CANCELLED, State.MERGED})


class ArchiveLevel(models.IntegerChoices):
    NATIONAL = 0, _("National")
    PROVINCIAL = 1, _("Provincial")
    CITY = 2, _("City")
    COUNTY = 3, _("County")
    GRASSROOTS = 4, _("Grassroots")


class Scheme(models.TextChoices):
    """Which classification standard a division uses (DOMAIN.md §1)."""

    A = "A", _("Standard A: the paper's three categories")
    B = "B", _("Standard B: the 2021 scheme")


class Category(models.TextChoices):
    """Categories of both standards; a household carries the one its division's standard gives."""

    A_MINIMUM_LIVING = "A_dibao", _("Minimum-living household (低保户)")
    A_MARGINAL = "A_marginal", _("Marginal household (低保边缘户)")
    A_ACCIDENT = "A_accident", _("Accident-induced household (意外致困户)")
    B_DEEP = "B_deep", _("Deep hardship (深度困难)")
    B_RELATIVE = "B_relative", _("Relative hardship (相对困难)")
    B_ACCIDENT = "B_accident", _("Accident-induced hardship (意外致困)")
    NOT_ELIGIBLE = "none", _("Not eligible")


class CommonLevel(models.TextChoices):
    """The level statistics, fund rules and offers use when both standards are in force."""

    DEEP = "deep", _("Deep / minimum-living")
    RELATIVE = "relative", _("Relative / marginal")
    ACCIDENT = "accident", _("Accident-induced")
    NONE = "none", _("Not eligible")


class NullsOrderedIndex(models.Index):
    """An index whose NULLS FIRST/LAST clauses are written only where the database accepts them in an
    index (PostgreSQL); SQLite gets the same columns and directions without them."""

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor == "postgresql":
            return super().create_sql(model, schema_editor, using, **kwargs)
        plain = [
            OrderBy(e.expression, descending=e.descending) if isinstance(e, OrderBy) else e for e in self.expressions
        ]
        return models.Index(*plain, name=self.name).create_sql(model, schema_editor, using, **kwargs)


class HouseholdQuerySet(ScopedQuerySet):
    def restrict_for_worker(self, user, action):
        # A worker sees only the household they head or belong to, and may only view it.
        if action != "view":
            return self.none()
        return self.filter(pk__in=Household.objects.filter(members__account=user).values("pk"))

    def open(self):
        return self.filter(state__in=OPEN_STATES)

    def active(self):
        return self.filter(state=State.ACTIVE)


class Household(models.Model):
    """One family's archive (困难职工档案): the household-level facts, its state and current category.

    The head is the member with `is_head=True`; person-level facts of the head (ethnicity, employer,
    …) live on that member. `category`, `common_level`, `need_score` are the latest results of the
    classification engine and need score (denormalised for lists and statistics; the full result and
    its explanation are in `Classification`).
    """

    scope_org_path = "org__path"

    # Indexed by the (org, …) indexes of Meta: a single-column one would only slow every write.
    org = models.ForeignKey(
        "orgs.Org", verbose_name=_("responsible union"), on_delete=models.PROTECT, related_name="households",
        db_index=False,
    )
    archive_number = models.CharField(_("archive number"), max_length=32, unique=True)
    archive_level = models.PositiveSmallIntegerField(_("archive level"), choices=ArchiveLevel.choices)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.DRAFT)
    is_temporary_relief = models.BooleanField(_("temporary-relief archive"), default=False)
    applied_by_union = models.BooleanField(_("applied by the union on the worker's behalf"), default=False)

    # Where the family lives decides the line; where its hukou is registered is recorded too.
    division = models.ForeignKey(
        "orgs.Division", verbose_name=_("residence division"), on_delete=models.PROTECT, related_name="+"
    )
    registration_division = models.ForeignKey(
        "orgs.Division", verbose_name=_("household-registration division"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+", db_index=False,
    )
    address = EncryptedTextField(_("address"), blank=True)
    housing_type = models.CharField(_("housing type"), max_length=24, blank=True)
    housing_area = models.DecimalField(
        _("floor area (m²)"), max_digits=7, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(0)],
    )
    single_parent = models.BooleanField(_("single-parent family"), default=False)
    zero_employment = models.BooleanField(_("zero-employment household"), default=False)
    some_self_help_ability = models.BooleanField(_("some self-help ability"), default=False)
    on_minimum_living_roster = models.BooleanField(_("on the civil-affairs minimum-living roster"), default=False)
    below_line_after_government_aid = models.BooleanField(_("still below the line after government aid"), default=False)
    is_migrant_worker = models.BooleanField(_("migrant worker household"), default=False)
    urgent_care = models.BooleanField(_("urgent care needed"), default=False)

    bank_name = models.CharField(_("bank"), max_length=64, blank=True)
    bank_account = EncryptedTextField(_("bank account (real-name card)"), blank=True)
    bank_account_last4 = models.CharField(_("bank account, last 4"), max_length=4, blank=True)
    # Payments go only to a real-name card of the head (DOMAIN.md §5): the funds app compares this name.
    bank_account_holder = models.CharField(_("account holder"), max_length=64, blank=True)

    remarks = models.TextField(_("remarks"), blank=True)

    # Latest classification (see Classification for the explanation).
    scheme = models.CharField(_("standard"), max_length=1, choices=Scheme.choices, blank=True)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices, blank=True)
    common_level = models.CharField(_("common level"), max_length=16, choices=CommonLevel.choices, blank=True)
    classified_at = models.DateTimeField(_("classified at"), null=True, blank=True)
    need_score = models.DecimalField(_("need score"), max_digits=7, decimal_places=2, null=True, blank=True)
    need_score_breakdown = models.JSONField(_("need score breakdown"), default=dict, blank=True)

    # Lifecycle bookkeeping.
    applied_on = models.DateField(_("applied on"), null=True, blank=True)
    activated_on = models.DateField(_("active since"), null=True, blank=True)
    review_due_on = models.DateField(_("next review due"), null=True, blank=True)
    exited_on = models.DateField(_("exited on"), null=True, blank=True)
    exit_reason = models.CharField(_("exit reason"), max_length=24, blank=True)
    notice_place = models.CharField(
        _("public notice posted at"), max_length=16, blank=True,
        choices=[("workplace", _("Workplace")), ("community", _("Community"))],
    )
    previous_archive = models.ForeignKey(
        "self", verbose_name=_("earlier archive (re-entry)"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="re_entries", db_index=False,
    )
    split_from = models.ForeignKey(
        "self", verbose_name=_("split from"), null=True, blank=True, on_delete=models.PROTECT, related_name="splits",
        db_index=False,
    )
    merged_into = models.ForeignKey(
        "self", verbose_name=_("merged into"), null=True, blank=True, on_delete=models.PROTECT, related_name="merged",
        db_index=False,
    )
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)

    # Denormalised head facts for lists and search (kept by the write functions).
    head_name_masked = models.CharField(_("head (masked)"), max_length=32, blank=True)
    head_name_initials = models.CharField(_("pinyin initials of the head"), max_length=32, blank=True)
    household_size = models.PositiveSmallIntegerField(_("household size"), default=1)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = HouseholdQuerySet.as_manager()

    class Meta:
        verbose_name = _("household archive")
        verbose_name_plural = _("household archives")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["org", "state", "-id"], name="household_org_state_id"),
            models.Index(fields=["state", "review_due_on"], name="household_state_review"),
            # The list (bangfu.registry.views_lists) seeks on (sort key, id) in the list's own order (nullable
            # keys: NULLs last both ways), so each sort can walk an index and stop after one page.
            models.Index(fields=["updated_at", "id"], name="household_updated_id"),
            models.Index(fields=["org", "updated_at", "id"], name="household_org_updated_id"),
            models.Index(fields=["category", "id"], name="household_category_id"),
            NullsOrderedIndex(OrderBy(F("need_score"), descending=True, nulls_last=True),
                              OrderBy(F("id"), descending=True), name="household_need_desc_id"),
            NullsOrderedIndex(OrderBy(F("review_due_on"), nulls_last=True), F("id"), name="household_review_id"),
            # Prefix search by initials (LIKE 'x%' under any collation; the pattern index serves = as well).
            models.Index(fields=["head_name_initials"], name="household_head_initials_like",
                         opclasses=["varchar_pattern_ops"]),
            # Links that are rare: only the rows that have one are indexed (what a delete of the target needs).
            models.Index(fields=["registration_division"], name="household_regdiv",
                         condition=Q(registration_division__isnull=False)),
            models.Index(fields=["previous_archive"], name="household_previous",
                         condition=Q(previous_archive__isnull=False)),
            models.Index(fields=["split_from"], name="household_split_from", condition=Q(split_from__isnull=False)),
            models.Index(fields=["merged_into"], name="household_merged_into",
                         condition=Q(merged_into__isnull=False)),
        ]
        permissions = [
            ("reveal_household", "Reveal identity and bank numbers"),
            ("export_household", "Export household lists"),
            ("transition_household", "Move a household through its lifecycle"),
            ("approve_household", "Approve, refuse and decide appeals as the higher union"),
            ("reclassify_household", "Review and apply bulk re-classifications"),
        ]

    def __str__(self) -> str:
        return self.archive_number

    @property
    def head(self):
        return next((m for m in self.members.all() if m.is_head), None)

    @property
    def bank_account_masked(self) -> str:
        return mask_bank_account(self.bank_account_last4) if self.bank_account_last4 else ""

    @property
    def bank_account_holder_masked(self) -> str:
        return mask_name(self.bank_account_holder)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class HouseholdPartQuerySet(ScopedQuerySet):
    """Rows that belong to one household (members, causes, incomes, timeline, …).

    Staff see them through the household's org subtree; a worker sees (and only views) the rows of
    the household they belong to.
    """

    def restrict_for_worker(self, user, action):
        if action != "view":
            return self.none()
        return self.filter(household__in=Household.objects.filter(members__account=user).values("pk"))


MemberQuerySet = HouseholdPartQuerySet


class Member(models.Model):
    """A person of the household, the head included (`is_head`).

    The identity number is stored encrypted, with a keyed hash for uniqueness and exact search and a
    masked copy for pages (lists never decrypt). `open_identity_hash` equals `identity_hash` while the
    household is open and is NULL otherwise: its unique constraint is what makes "one person in at most
    one active archive nationwide" hold even under concurrent writes.
    """

    scope_org_path = "household__org__path"

    # Indexed by the leading column of `person_once_per_household`.
    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.CASCADE, related_name="members", db_index=False
    )
    is_head = models.BooleanField(_("head of household"), default=False)
    relation = models.CharField(_("relation to the head"), max_length=24)
    name = models.CharField(_("name"), max_length=64)
    name_initials = models.CharField(_("pinyin initials"), max_length=32, blank=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("birth date"))

    document_type = models.CharField(
        _("identity document"), max_length=16, choices=DocumentType.CHOICES, default=DocumentType.RESIDENT_ID
    )
    identity_number = EncryptedTextField(_("identity number"))
    identity_hash = models.CharField(_("identity hash"), max_length=64, editable=False)
    identity_masked = models.CharField(_("identity number (masked)"), max_length=24, editable=False)
    open_identity_hash = models.CharField(max_length=64, null=True, blank=True, editable=False)
    identity_warnings = models.JSONField(_("identity warnings"), default=list, blank=True, editable=False)

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("worker account"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="household_memberships", db_index=False,
    )

    health = models.CharField(_("health status"), max_length=24, blank=True)
    diagnosis = EncryptedTextField(_("disease / diagnosis"), blank=True)
    disability_type = models.CharField(_("disability type"), max_length=24, blank=True)
    disability_grade = models.PositiveSmallIntegerField(
        _("disability grade"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    work_status = models.CharField(_("work status"), max_length=24, blank=True)
    able_to_work = models.BooleanField(_("able-bodied"), default=True)
    is_student = models.BooleanField(_("student"), default=False)
    school_stage = models.CharField(_("school stage"), max_length=24, blank=True)
    school_name = models.CharField(_("school"), max_length=100, blank=True)
    school_entry_year = models.PositiveSmallIntegerField(_("year of entry"), null=True, blank=True)
    school_length_years = models.PositiveSmallIntegerField(_("length of study (years)"), null=True, blank=True)
    evidence_of_no_income = models.BooleanField(
        _("evidence that no minimum wage should be imputed"), default=False,
        help_text=_("E.g. a certificate of inability to work or of full-time care of a family member."),
    )
    medical_insurance = models.CharField(_("medical insurance"), max_length=24, blank=True)
    marital_status = models.CharField(_("marital status"), max_length=24, blank=True)
    hukou_type = models.CharField(_("hukou type"), max_length=24, blank=True)
    phone = EncryptedTextField(_("phone"), blank=True)
    phone_masked = models.CharField(_("phone (masked)"), max_length=16, blank=True, editable=False)
    monthly_income_declared = models.DecimalField(
        _("declared monthly income (yuan)"), max_digits=10, decimal_places=2, default=0,
        validators=[MinValueValidator(0)],
    )

    # Facts recorded for the head (blank for other members).
    worker_number = models.CharField(_("worker number"), max_length=32, blank=True)
    ethnicity = models.CharField(_("ethnicity"), max_length=24, blank=True)
    political_status = models.CharField(_("political status"), max_length=24, blank=True)
    model_worker_level = models.CharField(_("model-worker level"), max_length=24, blank=True)
    work_started_on = models.DateField(_("start of work"), null=True, blank=True)
    industry = models.CharField(_("industry"), max_length=32, blank=True)
    employer_name = models.CharField(_("employer"), max_length=128, blank=True)
    employer_type = models.CharField(_("employer type"), max_length=24, blank=True)
    is_union_member = models.BooleanField(_("union member"), default=True)
    lives_in_city = models.BooleanField(_("lives in the city"), default=True)
    labour_relation_since = models.DateField(_("labour relationship since"), null=True, blank=True)

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("household member")
        verbose_name_plural = _("household members")
        ordering = ["household_id", "-is_head", "id"]
        constraints = [
            models.UniqueConstraint(fields=["household"], condition=Q(is_head=True), name="one_head_per_household"),
            models.UniqueConstraint(fields=["household", "identity_hash"], name="person_once_per_household"),
            # One person in at most one open archive nationwide (NULL when the archive is closed).
            models.UniqueConstraint(fields=["open_identity_hash"], name="member_open_identity_once"),
        ]
        # Each index is kept up by every import of a million rows: only the ones a query needs. The hashes are
        # searched by equality only (no pattern twin); names and initials by prefix (LIKE 'x%' under any
        # collation: the pattern index, which serves = as well).
        indexes = [
            models.Index(fields=["name"], name="member_name_like", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["name_initials"], name="member_initials_like", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["identity_hash"], name="member_identity_hash"),
            models.Index(fields=["account"], name="member_account", condition=Q(account__isnull=False)),
        ]

    def __str__(self) -> str:
        return self.name_masked

    @property
    def name_masked(self) -> str:
        return mask_name(self.name)

    def set_identity(self, value: str) -> None:
        """Store a checked, canonical identity number with its hash and masked copy."""
        from bangfu.core.crypto import keyed_hash

        self.identity_number = value
        self.identity_hash = keyed_hash(value)
        self.identity_masked = mask_id_number(value)

    def set_phone(self, value: str) -> None:
        self.phone = value
        self.phone_masked = mask_phone(value) if value else ""


class HouseholdCause(models.Model):
    """A cause of hardship of a household: exactly one main, at most three secondary (checked on save)."""

    scope_org_path = "household__org__path"

    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.CASCADE, related_name="causes"
    )
    code = models.CharField(_("cause"), max_length=24)
    is_main = models.BooleanField(_("main cause"), default=False)

    objects = HouseholdPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("cause of hardship")
        verbose_name_plural = _("causes of hardship")
        ordering = ["household_id", "-is_main", "code"]
        constraints = [
            models.UniqueConstraint(fields=["household", "code"], name="cause_once_per_household"),
            models.UniqueConstraint(fields=["household"], condition=Q(is_main=True), name="one_main_cause"),
        ]

    def __str__(self) -> str:
        return self.code
