"""Cases (救助"一件事"): one application of a household, its steps, and what it covers;
scoped by the household's village."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from minzheng.cases import workflow
from minzheng.regions.scoping import RegionScopedQuerySet


class Case(models.Model):
    """One household's application, carried through the legal steps to a decision."""

    class Channel(models.TextChoices):
        COUNTER = "counter", _("at the counter")
        ONLINE = "online", _("online")
        DISCOVERY = "discovery", _("proactive discovery")
        REFERRAL = "referral", _("referral")
        REVIEW = "review", _("periodic review")

    number = models.CharField(_("case number"), max_length=32, unique=True)
    household_id = models.CharField(_("household"), max_length=20, db_index=True)
    region_code = models.CharField(_("region"), max_length=12, db_index=True)
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    state = models.CharField(
        _("state"),
        max_length=20,
        choices=[(k, pgettext_lazy(v.context, v.message)) for k, v in workflow.STATES.items()],
        default=workflow.DRAFT,
        db_index=True,
    )
    # Optimistic locking: every step names the version it saw; a second step on the same
    # version loses with a conflict instead of overwriting the first.
    version = models.PositiveIntegerField(_("version"), default=1)
    as_of = models.DateField(_("data as of"))
    declared = models.JSONField(_("declared incomes and assets"), default=dict, blank=True)
    verification_check = models.ForeignKey(
        "verification.Check",
        verbose_name=_("verification report"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    fast_lane = models.JSONField(_("why the fast lane"), default=dict, blank=True)
    # Where the assistance is paid: {"name", "bank", "account"} (the bank file's fields).
    payee = models.JSONField(_("payee account"), default=dict, blank=True)
    # A periodic review (动态管理复核) of the enrolments of an earlier case, or an application.
    review_of = models.ForeignKey(
        "self",
        verbose_name=_("review of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reviews",
    )
    visit = models.JSONField(_("home visit"), default=dict, blank=True)
    notice_until = models.DateField(_("public notice until"), null=True, blank=True)
    returned_reason = models.TextField(_("returned because"), blank=True)
    due_date = models.DateField(_("due"), null=True, blank=True, db_index=True)
    # What the decision is based on, kept from the check on: the report's number and
    # snapshot, the engine's inputs, the parameter values in force and the results. The
    # programmes and amounts decided are the case's CaseProgramme rows, fixed once decided.
    basis = models.JSONField(_("decision basis"), default=dict, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("reason for the decision"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    state_since = models.DateTimeField(_("in this state since"))

    region_lookup = "region_code"
    objects = RegionScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        permissions = [("approve_case", _("Can approve or reject cases"))]
        indexes = [
            models.Index(fields=["region_code", "state", "due_date"]),
            # The worklists read open cases under a region prefix: a LIKE 'prefix%' range needs
            # the pattern operator class on PostgreSQL (whose collation is not C); decided cases,
            # most of the table in time, are left out (docs/benchmarks.md: worklist p95 halved).
            models.Index(
                fields=["region_code", "state", "due_date"],
                opclasses=["varchar_pattern_ops", "varchar_ops", "date_ops"],
                condition=~models.Q(state__in=["approved", "rejected"]),
                name="case_open_by_region_prefix",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def county_code(self) -> str:
        return self.region_code[:6]


class CaseProgramme(models.Model):
    """A programme the case covers: proposed by the engine's bundle, or added or dropped by
    the caseworker with a reason."""

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="programmes"
    )
    programme = models.CharField(_("programme"), max_length=32)
    proposed = models.BooleanField(_("proposed by the rules"))
    included = models.BooleanField(_("included"))
    reason = models.TextField(_("reason"), blank=True)
    status = models.CharField(_("status"), max_length=32, blank=True)
    monthly_amount = models.DecimalField(
        _("monthly amount"), max_digits=12, decimal_places=2, null=True, blank=True
    )

    region_lookup = "case__region_code"
    objects = RegionScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("programme of a case")
        verbose_name_plural = _("programmes of cases")
        constraints = [
            models.UniqueConstraint(fields=["case", "programme"], name="one_row_per_programme")
        ]

    def __str__(self) -> str:
        return f"{self.case_id}/{self.programme}"


class CaseEvent(models.Model):
    """One step of a case's timeline: who, when, from, to and why."""

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="events"
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField(_("step"), max_length=20)
    from_state = models.CharField(_("from"), max_length=20, blank=True)
    to_state = models.CharField(_("to"), max_length=20)
    reason = models.TextField(_("reason"), blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    region_lookup = "case__region_code"
    objects = RegionScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id}/{self.action}"


class Attachment(models.Model):
    """A document of a case (an application's papers, a supplement, a photo of the home
    visit): accepted by its content (PDF, JPEG or PNG), stored under a name of our own, with
    its SHA-256."""

    class Kind(models.TextChoices):
        APPLICATION = "application", _("application papers")
        SUPPLEMENT = "supplement", _("supplement")
        VISIT_PHOTO = "visit_photo", _("photo of the home visit")
        OTHER = "other", _("other")

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="attachments"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    file = models.FileField(_("file"), upload_to="cases/%Y/%m/")
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveIntegerField(_("size in bytes"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    region_lookup = "case__region_code"
    objects = RegionScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "id"]
        constraints = [models.UniqueConstraint(fields=["case", "sha256"], name="one_copy_per_case")]

    def __str__(self) -> str:
        return f"{self.case_id}/{self.kind}/{self.sha256[:12]}"


class CalendarDay(models.Model):
    """A day an administrator marks as a working day or a holiday, for a year the
    maintained calendar does not cover yet (or to correct it)."""

    day = models.DateField(_("day"), unique=True)
    workday = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=80, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["day"]

    def __str__(self) -> str:
        return self.day.isoformat()


class Enrolment(models.Model):
    """A household's (or a member's) entitlement to a programme from a month on, created by
    an approved case. The database refuses a second enrolment of the same programme and
    beneficiary for overlapping months (an exclusion constraint on PostgreSQL, triggers on
    SQLite: see the migration)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        SUSPENDED = "suspended", _("suspended")
        ENDED = "ended", _("ended")

    case = models.ForeignKey(
        Case,
        verbose_name=_("case"),
        on_delete=models.PROTECT,
        related_name="enrolments",
        null=True,
        blank=True,
    )
    programme = models.CharField(_("programme"), max_length=32)
    household_id = models.CharField(_("household"), max_length=20, db_index=True)
    # The household number for a household's programme, the member's ID number for a
    # person's (two kinds of numbers that never look alike).
    beneficiary = models.CharField(_("beneficiary"), max_length=20)
    region_code = models.CharField(_("region"), max_length=12, db_index=True)
    monthly_amount = models.DecimalField(_("monthly amount"), max_digits=12, decimal_places=2)
    start_month = models.DateField(_("from the month"))
    end_month = models.DateField(_("until the month"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    # Why it was suspended or ended, and who did it (None: an automatic run, such as a death
    # found by the payment run). A caseworker's suspension is never lifted by a run.
    status_reason = models.TextField(_("reason for the status"), blank=True)
    status_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("status set by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    next_review = models.DateField(_("next review due"), null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    region_lookup = "region_code"
    objects = RegionScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        indexes = [models.Index(fields=["programme", "beneficiary", "start_month"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start_month__day=1)
                & (models.Q(end_month__isnull=True) | models.Q(end_month__day=1)),
                name="enrolment_whole_months",
            ),
            models.CheckConstraint(
                condition=models.Q(end_month__isnull=True)
                | models.Q(end_month__gte=models.F("start_month")),
                name="enrolment_ends_after_it_starts",
            ),
            models.CheckConstraint(
                condition=models.Q(monthly_amount__gte=0), name="enrolment_amount_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.programme}/{self.beneficiary}/{self.start_month:%Y-%m}"


class Objection(models.Model):
    """An objection raised during a case's public notice (公示), and how it was resolved."""

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="objections"
    )
    raised_on = models.DateField(_("raised on"))
    objector = models.CharField(_("raised by"), max_length=80, blank=True)
    content = models.TextField(_("objection"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    resolution = models.TextField(_("resolution"), blank=True)
    upheld = models.BooleanField(_("upheld"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    region_lookup = "case__region_code"
    objects = RegionScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["raised_on", "id"]

    def __str__(self) -> str:
        return f"{self.case_id}/{self.pk}"


class PaymentRun(models.Model):
    """A county's monthly payment run (发放): one per county and month, re-run to add what is
    missing, never to pay twice."""

    number = models.CharField(_("run number"), max_length=20, unique=True)
    county_code = models.CharField(_("county"), max_length=6)
    month = models.DateField(_("month"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("run by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last run at"), auto_now=True)
    snapshot = models.CharField(_("data snapshot"), max_length=80, blank=True)
    # What the last run found (stopped payments and their reasons), for the run's page.
    notes = models.JSONField(_("notes"), default=dict, blank=True)

    region_lookup = "county_code"
    objects = RegionScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("payment run")
        verbose_name_plural = _("payment runs")
        ordering = ["-month", "county_code"]
        permissions = [("pay", _("Can run payments, reconcile them and re-issue failed ones"))]
        constraints = [
            models.UniqueConstraint(
                fields=["county_code", "month"], name="one_run_per_county_month"
            ),
            models.CheckConstraint(condition=models.Q(month__day=1), name="run_whole_month"),
        ]

    def __str__(self) -> str:
        return self.number


class Payment(models.Model):
    """One line of a payment list: a beneficiary's amount of a programme for a month. The
    database refuses a second payment of the same programme, beneficiary and month (a
    re-issue of a failed one is its own line, once)."""

    class Status(models.TextChoices):
        ISSUED = "issued", _("sent to the bank")
        PAID = "paid", _("paid")
        FAILED = "failed", _("failed")

    run = models.ForeignKey(
        PaymentRun, verbose_name=_("payment run"), on_delete=models.PROTECT, related_name="payments"
    )
    line = models.PositiveIntegerField(_("line"))
    enrolment = models.ForeignKey(
        Enrolment, verbose_name=_("enrolment"), on_delete=models.PROTECT, related_name="payments"
    )
    programme = models.CharField(_("programme"), max_length=32)
    beneficiary = models.CharField(_("beneficiary"), max_length=20)
    household_id = models.CharField(_("household"), max_length=20)
    region_code = models.CharField(_("region"), max_length=12)
    month = models.DateField(_("month"))
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    payee = models.JSONField(_("payee account"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.ISSUED
    )
    reason = models.CharField(_("bank's reason"), max_length=200, blank=True)
    returned_at = models.DateTimeField(_("reconciled at"), null=True, blank=True)
    reissue_of = models.OneToOneField(
        "self",
        verbose_name=_("re-issue of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reissue",
    )

    region_lookup = "region_code"
    objects = RegionScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["run", "line"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "beneficiary", "month"],
                condition=models.Q(reissue_of__isnull=True),
                name="one_payment_per_beneficiary_month",
            ),
            models.UniqueConstraint(fields=["run", "line"], name="one_line_number_per_run"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_positive"),
        ]

    def __str__(self) -> str:
        return self.line_id

    @property
    def line_id(self) -> str:
        """The line's identifier in the bank file and its return."""
        return f"{self.run.number}-{self.line:06d}"
