"""Statistics kept by the database itself, so that every figure is exact and a national dashboard reads a few
hundred rows instead of a million.

A household's *statistical tuple* is (union, state, category, main cause, exit reason, has a current helper).
Database triggers (`bangfu.stats.sql`) on households, their causes and their helper assignments compare the
tuple with the household's open `HouseholdSpan` after every statement, whoever wrote it (a form, an import's
bulk SQL, a cross-check, the demo seeding):

* `HouseholdSpan` — the history: one row per stretch of time a household kept the same tuple. A report "as of"
  a past date reads the spans open at that moment, so it gives the numbers it gave on that date.
* `HouseholdDelta` — an insert-only log of −n for the tuple left and +n for the tuple entered. Writers never
  touch a shared counter row, so two case workers (or an import and a case worker) never wait on each other.
* `HouseholdRollup` / `HouseholdFlow` — the deltas folded into every ancestor union (`rollup.compact`, a
  scheduled task and the end of bulk jobs): counts per tuple, and per month the households that entered or
  left each state. A reader adds the rollup row of one union to the deltas not yet folded in its subtree, so
  figures are exact at every moment.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Tuple(models.Model):
    """The statistical tuple of a household (abstract)."""

    org = models.ForeignKey("orgs.Org", verbose_name=_("union"), on_delete=models.DO_NOTHING, db_constraint=False,
                            related_name="+")
    state = models.CharField(_("state"), max_length=16)
    category = models.CharField(_("category"), max_length=16, blank=True)
    main_cause = models.CharField(_("main cause"), max_length=24, blank=True)
    exit_reason = models.CharField(_("exit reason"), max_length=24, blank=True)
    has_helper = models.BooleanField(_("has a responsible helper"), default=False)

    class Meta:
        abstract = True


class HouseholdSpan(Tuple):
    """A stretch of time [valid_from, valid_to) during which one household kept the same statistical tuple.
    Written only by the database triggers; `valid_to` is NULL for the open span (one per household)."""

    household_id = models.BigIntegerField(_("household"))
    valid_from = models.DateTimeField(_("from"))
    valid_to = models.DateTimeField(_("until"), null=True, blank=True)

    class Meta:
        verbose_name = _("household history span")
        verbose_name_plural = _("household history spans")
        constraints = [
            models.UniqueConstraint(fields=["household_id"], condition=Q(valid_to__isnull=True),
                                    name="stats_one_open_span"),
        ]
        indexes = [
            models.Index(fields=["household_id", "valid_to"], name="stats_span_household"),
            models.Index(fields=["valid_from", "valid_to"], name="stats_span_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.household_id} {self.state} {self.valid_from:%Y-%m-%d}"


class HouseholdDelta(Tuple):
    """−n or +n households for one tuple, written by the triggers (one row per tuple, flag and statement: the
    households that left it, or those that entered it) and folded into the rollups by `rollup.compact`.

    `flag` says what changed, for the monthly flows: 2 the state (or the household appeared or went), 1 only
    the union (a transfer), 0 neither (category, cause, exit reason or helper)."""

    delta = models.IntegerField(_("change"))
    flag = models.SmallIntegerField(_("what changed"))
    month = models.DateField(_("month"))

    class Meta:
        verbose_name = _("pending change")
        verbose_name_plural = _("pending changes")

    def __str__(self) -> str:
        return f"{self.org_id} {self.state} {self.delta:+d}"


class HouseholdRollup(Tuple):
    """Households of a union's whole subtree with one tuple (the union itself included)."""

    households = models.IntegerField(_("households"), default=0)

    class Meta:
        # The permissions of the statistics pages, reports and API (granted per role in accounts.roles).
        permissions = [
            ("view_statistics", "View dashboards and comparisons"),
            ("export_statistics", "Export statistical reports"),
            ("view_care_statistics", "See mental-health figures (counts only)"),
        ]
        verbose_name = _("household count")
        verbose_name_plural = _("household counts")
        constraints = [
            models.UniqueConstraint(fields=["org", "state", "category", "main_cause", "exit_reason", "has_helper"],
                                    name="stats_rollup_tuple"),
        ]

    def __str__(self) -> str:
        return f"{self.org_id} {self.state} {self.category}: {self.households}"


class HouseholdFlow(models.Model):
    """Per union subtree, month and state: households that entered or left the state there. `entered`/`left`
    count transfers between unions too (so a past month's stock can be rebuilt); `state_entered`/`state_left`
    only changes of state (so "new archives" are not inflated by transfers)."""

    org = models.ForeignKey("orgs.Org", verbose_name=_("union"), on_delete=models.DO_NOTHING, db_constraint=False,
                            related_name="+")
    month = models.DateField(_("month"))
    state = models.CharField(_("state"), max_length=16)
    entered = models.IntegerField(_("entered"), default=0)
    left = models.IntegerField(_("left"), default=0)
    state_entered = models.IntegerField(_("entered the state"), default=0)
    state_left = models.IntegerField(_("left the state"), default=0)

    class Meta:
        verbose_name = _("monthly flow")
        verbose_name_plural = _("monthly flows")
        constraints = [
            models.UniqueConstraint(fields=["org", "month", "state"], name="stats_flow_month"),
        ]

    def __str__(self) -> str:
        return f"{self.org_id} {self.month:%Y-%m} {self.state}"


class FundAccount(models.Model):
    """A ledger account's key without the union (abstract): budget year, source, aid category, bucket."""

    org = models.ForeignKey("orgs.Org", verbose_name=_("union"), on_delete=models.DO_NOTHING, db_constraint=False,
                            related_name="+")
    year = models.PositiveSmallIntegerField(_("budget year"))
    source = models.ForeignKey("funds.FundSource", verbose_name=_("source"), on_delete=models.DO_NOTHING,
                               db_constraint=False, related_name="+")
    category = models.CharField(_("aid category"), max_length=16)
    bucket = models.CharField(_("account"), max_length=16)
    amount_fen = models.BigIntegerField(_("amount (fen)"), default=0)

    class Meta:
        abstract = True


class FundDelta(FundAccount):
    """A copy of each new ledger entry's account and amount (written by a trigger on the append-only ledger),
    waiting to be folded into `FundRollup`."""

    class Meta:
        verbose_name = _("pending ledger sum")
        verbose_name_plural = _("pending ledger sums")

    def __str__(self) -> str:
        return f"{self.org_id} {self.bucket} {self.amount_fen}"


class FundRollup(FundAccount):
    """Σ of the ledger entries of a union's whole subtree per account key."""

    class Meta:
        verbose_name = _("ledger sum")
        verbose_name_plural = _("ledger sums")
        constraints = [
            models.UniqueConstraint(fields=["org", "year", "source", "category", "bucket"], name="stats_fund_account"),
        ]

    def __str__(self) -> str:
        return f"{self.org_id} {self.year} {self.bucket}: {self.amount_fen}"


class DueKind(models.IntegerChoices):
    """What falls due on a day: the next visit of a helped household, or an active archive's annual review."""

    VISIT = 1, _("visit")
    REVIEW = 2, _("annual review")


class HouseholdDue(models.Model):
    """Each household's next visit and review due days (days since 1970-01-01), as `bangfu.helpers` and the
    registry define them, kept by the triggers of `bangfu.stats.due`. Only households with something due have
    a row. It is the "before" of each change, so the triggers can log −1 for the old day and +1 for the new."""

    household_id = models.BigIntegerField(_("household"), primary_key=True)
    org = models.ForeignKey("orgs.Org", verbose_name=_("union"), on_delete=models.DO_NOTHING, db_constraint=False,
                            related_name="+")
    visit_due_day = models.IntegerField(_("next visit due (day)"), null=True, blank=True)
    review_due_day = models.IntegerField(_("next review due (day)"), null=True, blank=True)

    class Meta:
        verbose_name = _("household due days")
        verbose_name_plural = _("household due days")

    def __str__(self) -> str:
        return f"{self.household_id} {self.visit_due_day} {self.review_due_day}"


class DueDay(models.Model):
    """A union, a kind of due date and a day (days since 1970-01-01) (abstract)."""

    org = models.ForeignKey("orgs.Org", verbose_name=_("union"), on_delete=models.DO_NOTHING, db_constraint=False,
                            related_name="+")
    kind = models.SmallIntegerField(_("kind"), choices=DueKind.choices)
    day = models.IntegerField(_("due day"))

    class Meta:
        abstract = True


class DueDelta(DueDay):
    """−n or +n households due on `day` for `kind` in `org` (one row per statement), written by the triggers,
    folded by `due.compact`."""

    delta = models.IntegerField(_("change"))

    class Meta:
        verbose_name = _("pending due change")
        verbose_name_plural = _("pending due changes")

    def __str__(self) -> str:
        return f"{self.org_id} {self.kind} {self.day} {self.delta:+d}"


class DueRollup(DueDay):
    """Households of a union's whole subtree whose visit or review falls due on `day`: the histogram whose part
    before today is the number overdue (a few hundred rows to add, however many households)."""

    households = models.IntegerField(_("households"), default=0)

    class Meta:
        verbose_name = _("households due per day")
        verbose_name_plural = _("households due per day")
        constraints = [models.UniqueConstraint(fields=["org", "kind", "day"], name="stats_due_day")]

    def __str__(self) -> str:
        return f"{self.org_id} {self.kind} {self.day}: {self.households}"
