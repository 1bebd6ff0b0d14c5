"""After selection: the Award (funding plan), the Project it becomes at the agreement, and the
append-only money records: disbursement ledger entries, expenditures, settlements.

Money changes only through projects.ledger. Ledger entries are append-only: a saved entry
cannot be updated or deleted (model, queryset and admin all refuse); a mistake is corrected by
a reversal entry that points to the original.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import FSMField, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from .application import Application


class AppendOnlyError(Exception):
    """Raised on any attempt to change or delete a posted record."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Posted entries are never updated; post a reversal instead.")

    def delete(self):
        raise AppendOnlyError("Posted entries are never deleted; post a reversal instead.")


class AppendOnly(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise AppendOnlyError("Posted entries are never updated; post a reversal instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Posted entries are never deleted; post a reversal instead.")


class Award(models.Model):
    """The funding plan of a selected application, in integer KRW."""

    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="award")
    national_subsidy = models.PositiveBigIntegerField(_("national subsidy awarded (KRW)"))
    adjustment_reason = models.TextField(_("why the subsidy is below the request"), blank=True)
    local_government = models.PositiveBigIntegerField(_("local government (KRW)"), default=0)
    private_cash = models.PositiveBigIntegerField(_("private cash (KRW)"), default=0)
    private_in_kind = models.PositiveBigIntegerField(_("private in-kind (KRW)"), default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("award")
        verbose_name_plural = _("awards")

    def __str__(self):
        return f"{self.application.reference}"

    @property
    def total_cost(self):
        return self.national_subsidy + self.local_government + self.private_cash + self.private_in_kind


class ProjectState(models.TextChoices):
    ACTIVE = "active", _("Active")
    FINAL_REPORT = "final_report", _("Final report")
    SETTLED = "settled", _("Settled")
    CLOSED = "closed", _("Closed")


class Project(models.Model):
    award = models.OneToOneField(Award, on_delete=models.PROTECT, related_name="project")
    code = models.CharField(_("project"), max_length=30, unique=True)
    agreement_signed_on = models.DateField(_("agreement signed"))
    agreement_parties = models.TextField(_("parties to the agreement"))
    starts_on = models.DateField(_("demonstration starts"))
    ends_on = models.DateField(_("demonstration ends"))
    payments_halted = models.BooleanField(_("payments halted"), default=False)
    halt_reason = models.TextField(_("why payments are halted"), blank=True)
    state = FSMField(_("state"), default=ProjectState.ACTIVE, choices=ProjectState.choices, protected=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("project")
        verbose_name_plural = _("projects")

    def __str__(self):
        return self.code

    def clean_fields(self, exclude=None):
        super().clean_fields(exclude={*(exclude or ()), "state"})

    @property
    def takes_payments(self):
        """Only an active project is paid: tranches stop at the final report."""
        return self.state == ProjectState.ACTIVE

    @property
    def takes_entries(self):
        """A closed project's ledger is final: no recovery and no reversal any more."""
        return self.state != ProjectState.CLOSED

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=ProjectState.ACTIVE, target=ProjectState.FINAL_REPORT)
    def submit_final_report(self, by=None, description=None):
        """The demonstration ended; the final report is in."""

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state, source=[ProjectState.ACTIVE, ProjectState.FINAL_REPORT], target=ProjectState.SETTLED
    )
    def settle(self, by=None, description=None):
        """Disbursed, approved spending and interest are settled; what is due is known."""

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=ProjectState.SETTLED, target=ProjectState.CLOSED)
    def close(self, by=None, description=None):
        """Everything due has been recovered."""


class Phase(models.Model):
    """A stage of the demonstration (living labs: catalyser; testing and feedback; consolidation
    and spread)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="phases")
    name = models.CharField(_("phase"), max_length=200)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["project", "position"]
        verbose_name = _("phase")
        verbose_name_plural = _("phases")

    def __str__(self):
        return self.name


class CountsToward(models.TextChoices):
    """The two sums of the disbursement ledger."""

    PAID = "payment", _("Paid")
    RECOVERED = "recovery", _("Recovered")


class DisbursementEntry(AppendOnly):
    """One posting of the disbursement ledger. ``amount`` is signed: a payment is positive, its
    reversal negative; a recovery (money returned) is recorded positive with kind RECOVERY."""

    class Kind(models.TextChoices):
        PAYMENT = "payment", _("Payment")
        REVERSAL = "reversal", _("Reversal")
        RECOVERY = "recovery", _("Recovery")

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="disbursements")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    amount = models.BigIntegerField(_("amount (KRW)"))
    entry_date = models.DateField(_("date"))
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    tranche = models.PositiveSmallIntegerField(_("tranche"), null=True, blank=True)
    # The agreement year the payment belongs to (projects with years; a reversal names the year
    # of the entry it reverses).
    year = models.ForeignKey(
        "projects.ProjectYear",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="disbursements",
        verbose_name=_("year"),
    )
    reverses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
        verbose_name=_("reverses"),
    )
    # What the entry adds up to: "paid" (payments and their reversals) or "recovered"
    # (recoveries and their reversals). A reversal counts against the kind of entry it reverses;
    # set once, from the entry itself or the one it reverses (see projects.ledger_figures).
    counts_toward = models.CharField(
        _("counts toward"), max_length=10, choices=CountsToward.choices, editable=False
    )
    # A payment of a tranche whose earlier payment was reversed names that payment: a tranche is
    # paid once per project, and paid again only in place of a reversed payment.
    replaces = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaced_by",
        verbose_name=_("in place of"),
    )
    note = models.TextField(_("why"), blank=True)
    posted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    posted_at = models.DateTimeField(_("posted"), auto_now_add=True)

    class Meta:
        ordering = ["project", "pk"]
        verbose_name = _("disbursement entry")
        verbose_name_plural = _("disbursement ledger")
        constraints = [
            models.UniqueConstraint(
                fields=["project", "tranche"],
                condition=models.Q(kind="payment", tranche__isnull=False, replaces__isnull=True),
                name="one_payment_per_tranche",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="reversal") | models.Q(counts_toward=models.F("kind")),
                name="entry_counts_toward_its_kind",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="reversal", amount__lt=0)
                | (~models.Q(kind="reversal") & models.Q(amount__gt=0)),
                name="entry_amount_sign_follows_kind",
            ),
        ]

    def __str__(self):
        return f"{self.project} #{self.pk} {self.kind} {self.amount}"

    def save(self, *args, **kwargs):
        if not self.counts_toward:
            self.counts_toward = self.reverses.counts_toward if self.reverses_id else self.kind
        super().save(*args, **kwargs)


class FundingShare(models.TextChoices):
    """The shares of a funding plan (재원): who pays for a piece of spending."""

    NATIONAL = "national", _("National subsidy")
    LOCAL_GOVERNMENT = "local_government", _("Local government")
    PRIVATE_CASH = "private_cash", _("Private cash")
    PRIVATE_IN_KIND = "private_in_kind", _("Private in-kind")


class Expenditure(models.Model):
    """Spending reported by the applicant, approved (possibly lower) or rejected by staff.

    Until it is decided, the applicant may correct it (a new version that ``corrects`` this
    one, which becomes CORRECTED and stays on record) or withdraw it (WITHDRAWN, kept). Only
    APPROVED spending counts; ``share`` says which share of the funding plan paid for it."""

    class Category(models.TextChoices):
        PERSONNEL = "personnel", _("Personnel")
        EQUIPMENT = "equipment", _("Equipment")
        MATERIALS = "materials", _("Materials")
        OUTSOURCING = "outsourcing", _("Outsourcing")
        TRAVEL = "travel", _("Travel")
        INDIRECT = "indirect", _("Indirect costs")

    class State(models.TextChoices):
        REPORTED = "reported", _("Reported")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        CORRECTED = "corrected", _("Corrected (replaced by a new version)")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="expenditures")
    share = models.CharField(
        _("paid from"), max_length=20, choices=FundingShare.choices, default=FundingShare.NATIONAL
    )
    spent_on = models.DateField(_("date"))
    # The fixed categories of projects without a budget plan; a project with one records the
    # call's budget category (and the agreement year the spending falls in).
    category = models.CharField(_("category"), max_length=20, choices=Category.choices, blank=True)
    budget_category = models.ForeignKey(
        "competitions.BudgetCategory",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("budget category"),
    )
    year = models.ForeignKey(
        "projects.ProjectYear",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="expenditures",
        verbose_name=_("year"),
    )
    amount = models.PositiveBigIntegerField(_("amount (KRW)"))
    description = models.TextField(_("description"), blank=True)
    evidence = models.FileField(_("evidence"), upload_to="expenditures/")
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.REPORTED)
    approved_amount = models.PositiveBigIntegerField(_("approved (KRW)"), null=True, blank=True)
    decision_reason = models.TextField(_("reason"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    corrects = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrected_by",
        verbose_name=_("corrects"),
    )
    change_reason = models.TextField(_("why corrected or withdrawn"), blank=True)

    class Meta:
        ordering = ["project", "spent_on", "pk"]
        verbose_name = _("expenditure")
        verbose_name_plural = _("expenditures")

    def __str__(self):
        return f"{self.project} {self.category} {self.amount}"


class Settlement(AppendOnly):
    """disbursed − approved spending + interest earned (+ the matching shortfall to return) =
    amount to recover (DESIGN.md §3). "Approved spending" is the spending paid from the
    national subsidy."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="settlements")
    disbursed = models.BigIntegerField(_("disbursed (KRW)"))
    approved_spending = models.BigIntegerField(_("approved spending (KRW)"))
    interest_earned = models.BigIntegerField(_("interest earned (KRW)"))
    # The national subsidy spent beyond what the local government's approved spending matches at
    # the call's ratio, or the private share's at the award's agreed ratio, whichever is larger
    # (competitions.matching); included in to_recover.
    matching_return = models.BigIntegerField(_("matching shortfall to return (KRW)"), default=0)
    # What the private share's shortfall alone calls for (shown; matching_return already counts it).
    private_return = models.BigIntegerField(_("private-share shortfall to return (KRW)"), default=0)
    to_recover = models.BigIntegerField(_("to recover (KRW)"))
    settled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    settled_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "-pk"]
        verbose_name = _("settlement")
        verbose_name_plural = _("settlements")

    def __str__(self):
        return f"{self.project}: {self.to_recover}"


class ReportStatus(models.TextChoices):
    DUE = "due", _("Not submitted")
    SUBMITTED = "submitted", _("Submitted, being reviewed")
    ACCEPTED = "accepted", pgettext_lazy("report review", "Accepted")
    RETURNED = "returned", _("Returned for changes")


class Report(models.Model):
    """A progress report per phase, an annual report per agreement year (accepted, it opens the
    next year's payments), and the final report due 60 days after the project ends.
    Staff accept a submitted report or return it with comments; a returned report is submitted
    again. Every submission's document is kept (ReportSubmission); ``document`` is the latest."""

    class Kind(models.TextChoices):
        PROGRESS = "progress", _("Progress report")
        ANNUAL = "annual", _("Annual report")
        FINAL = "final", _("Final report")
        FOLLOW_UP = "follow_up", _("Follow-up report")

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="reports")
    phase = models.ForeignKey(Phase, on_delete=models.PROTECT, null=True, blank=True, related_name="reports")
    year = models.ForeignKey(
        "projects.ProjectYear",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("year"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    due_on = models.DateField(_("due"))
    document = models.FileField(_("report"), upload_to="reports/", blank=True)
    original_name = models.CharField(max_length=200, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    status = FSMField(_("status"), default=ReportStatus.DUE, choices=ReportStatus.choices, protected=True)
    review_comments = models.TextField(_("staff comments"), blank=True)
    last_reminded_on = models.DateField(null=True, blank=True)
    # A follow-up report's year after the project ended (1, 2, ...; projects.indicators).
    follow_up_year = models.PositiveSmallIntegerField(_("follow-up year"), null=True, blank=True)

    class Meta:
        ordering = ["project", "due_on", "pk"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            models.UniqueConstraint(
                fields=["project", "follow_up_year"],
                condition=models.Q(follow_up_year__isnull=False),
                name="one_follow_up_report_per_year",
            )
        ]

    def __str__(self):
        return f"{self.project} {self.kind} {self.due_on}"

    def clean_fields(self, exclude=None):
        super().clean_fields(exclude={*(exclude or ()), "status"})

    def refresh_from_db(self, using=None, fields=None, **kwargs):
        # The protected status refuses any assignment, a reload's included: let the reload set it.
        if fields is None or "status" in fields:
            self.__dict__.pop("status", None)
        super().refresh_from_db(using=using, fields=fields, **kwargs)

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=[ReportStatus.DUE, ReportStatus.RETURNED], target=ReportStatus.SUBMITTED)
    def submit(self, by=None, description=None):
        """The applicant submits the report (again, after it was returned)."""

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=ReportStatus.SUBMITTED, target=ReportStatus.ACCEPTED)
    def accept(self, by=None, description=None):
        """Staff accept the report."""

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=ReportStatus.SUBMITTED, target=ReportStatus.RETURNED)
    def return_for_changes(self, by=None, description=None):
        """Staff return the report with comments; the applicant submits it again."""


class ReportSubmission(AppendOnly):
    """One submitted document of a report, kept for ever (a returned report's earlier documents
    stay on record beside the new one)."""

    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="submissions")
    document = models.FileField(_("report"), upload_to="reports/")
    original_name = models.CharField(max_length=200)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("submitted"), auto_now_add=True)

    class Meta:
        ordering = ["report", "pk"]
        verbose_name = _("report submission")
        verbose_name_plural = _("report submissions")

    def __str__(self):
        return f"{self.report} {self.original_name}"
