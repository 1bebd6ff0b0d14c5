"""Applications: an Organisation's proposal to a Call, its consortium, documents and workflow.

The state is a protected django-fsm-2 field: change it only through projects.workflow, which
checks permission, runs in a transaction and logs who, when, from, to and why (django-fsm-log).
"""

import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from competitions.models import (
    Call,
    CallState,
    District,
    DocumentKind,
    Region,
    ServiceField,
    ServiceType,
    SmartService,
    TechnologyField,
    Track,
)
from projects.documents import DocumentFormat

from .organisation import Organisation, district_outside_region


class ApplicationState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    CORRECTION_REQUESTED = "correction_requested", _("Correction requested")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    ELIGIBLE = "eligible", _("Eligible")
    INELIGIBLE = "ineligible", _("Ineligible")
    UNDER_REVIEW = "under_review", _("Under review")
    SCORED = "scored", _("Scored")
    ELIMINATED = "eliminated", _("Eliminated at a stage")
    SELECTED = "selected", _("Selected")
    RESERVE = "reserve", _("Reserve")
    NOT_SELECTED = "not_selected", _("Not selected")
    DECLINED = "declined", _("Declined")
    AWARDED = "awarded", _("Awarded")


# What the applicant reads: says where the application stands and what happens next.
APPLICANT_LABELS = {
    ApplicationState.DRAFT: _("Draft: not submitted yet"),
    ApplicationState.SUBMITTED: _("Submitted: eligibility being checked"),
    ApplicationState.CORRECTION_REQUESTED: _("Correction requested: correct the named parts by the deadline"),
    ApplicationState.WITHDRAWN: _("Withdrawn"),
    ApplicationState.ELIGIBLE: _("Eligible: goes on to evaluation"),
    ApplicationState.INELIGIBLE: _("Not eligible"),
    ApplicationState.UNDER_REVIEW: _("Eligible: under evaluation"),
    ApplicationState.SCORED: _("Evaluated: results not published yet"),
    ApplicationState.SELECTED: _("Selected"),
    ApplicationState.RESERVE: _("On the reserve list"),
    ApplicationState.NOT_SELECTED: _("Not selected"),
    ApplicationState.DECLINED: _("Declined by the applicant"),
    ApplicationState.AWARDED: _("Awarded: agreement signed"),
    ApplicationState.ELIMINATED: _("Not advanced to the next evaluation stage"),
}

# Holding a place (DESIGN.md §3 "Selection"): an application holds one of its call's places
# when it is selected or awarded, accepted or not; a declined, withdrawn, reserve or unselected
# one holds none. The one definition: ``holds_place`` for Python, ``PLACE_STATES`` /
# ``Application.objects.holding_place()`` for the database. Every run, promotion, invariant,
# dashboard, chart and export counts places with it.
PLACE_STATES = (ApplicationState.SELECTED, ApplicationState.AWARDED)


def holds_place(state) -> bool:
    return state in PLACE_STATES


# A result the applicant is told (its result letter): an outcome of the selection, or an
# elimination at a stage, once the call's results are published. The one definition:
# ``Application.result_published``.
RESULT_STATES = (
    ApplicationState.ELIMINATED,
    ApplicationState.SELECTED,
    ApplicationState.RESERVE,
    ApplicationState.NOT_SELECTED,
    ApplicationState.DECLINED,
    ApplicationState.AWARDED,
)
RESULTS_PUBLISHED_CALL_STATES = (CallState.RESULTS_PUBLISHED, CallState.CLOSED)


# Submitted: every application sent to the ministry, whatever became of it; a draft, or a draft
# withdrawn before it was submitted, is not one. The one definition: ``is_submitted`` for
# Python, ``SUBMITTED`` / ``Application.objects.submitted()`` for the database.
SUBMITTED = ~models.Q(state=ApplicationState.DRAFT) & ~models.Q(
    state=ApplicationState.WITHDRAWN, submitted_at__isnull=True
)


# Waiting for the eligibility decision: submitted, or sent back to the applicant for a correction
# (보완 요청) and not yet returned. Neither is eligible, so neither is assigned reviewers nor
# evaluated; an application awaiting a correction cannot be decided until it returns to staff
# (projects.corrections). The one definition for every count of "not decided yet".
ELIGIBILITY_PENDING_STATES = (ApplicationState.SUBMITTED, ApplicationState.CORRECTION_REQUESTED)


def is_submitted(state, submitted_at) -> bool:
    return state != ApplicationState.DRAFT and not (
        state == ApplicationState.WITHDRAWN and submitted_at is None
    )


class ApplicationQuerySet(models.QuerySet):
    def holding_place(self):
        return self.filter(state__in=PLACE_STATES)

    def submitted(self):
        return self.filter(SUBMITTED)


# Outcomes an applicant may object to, and for how long after being told (DESIGN.md §3-4).
OBJECTIONABLE_STATES = (
    ApplicationState.NOT_SELECTED,
    ApplicationState.INELIGIBLE,
    ApplicationState.ELIMINATED,
)
OBJECTION_WINDOW = timedelta(days=10)


STATE_LABELS = dict(ApplicationState.choices)


class Application(models.Model):
    call = models.ForeignKey(
        Call, on_delete=models.PROTECT, related_name="applications", verbose_name=_("call")
    )
    track = models.ForeignKey(
        Track, on_delete=models.PROTECT, related_name="applications", verbose_name=_("track")
    )
    service_field = models.ForeignKey(
        ServiceField,
        on_delete=models.PROTECT,
        related_name="applications",
        null=True,
        blank=True,
        verbose_name=_("service field"),
    )
    lead = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="led_applications",
        verbose_name=_("lead organisation"),
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    title = models.CharField(_("title"), max_length=300)
    summary = models.TextField(_("summary"), blank=True)
    smart_services = models.ManyToManyField(SmartService, blank=True, verbose_name=_("smart services"))
    technology_fields = models.ManyToManyField(
        TechnologyField, blank=True, verbose_name=_("technology fields")
    )
    service_types = models.ManyToManyField(ServiceType, blank=True, verbose_name=_("service types"))
    test_bed_region = models.ForeignKey(
        Region, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("region of the test bed")
    )
    test_bed_district = models.ForeignKey(
        District,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("city, county or district of the test bed"),
        help_text=_("The city, county or district (시·군·구) where the service is verified."),
    )

    # Stage-1 carry-over (projects.carry_over): the previous stage's application this draft
    # was started from. Protected: the stage-1 record stays whatever becomes of this one.
    carried_from = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="carried_into",
        verbose_name=_("continued from"),
        help_text=_("The previous stage's application this one was started from."),
    )

    # The funding plan, integer KRW.
    requested_subsidy = models.PositiveBigIntegerField(_("national subsidy requested (KRW)"), default=0)
    local_government = models.PositiveBigIntegerField(_("local government (KRW)"), default=0)
    private_cash = models.PositiveBigIntegerField(_("private cash (KRW)"), default=0)
    private_in_kind = models.PositiveBigIntegerField(_("private in-kind (KRW)"), default=0)

    state = FSMField(
        _("state"), default=ApplicationState.DRAFT, choices=ApplicationState.choices, protected=True
    )
    reference = models.CharField(_("reference number"), max_length=20, blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    decision_reason = models.TextField(_("reason for the eligibility decision"), blank=True)
    accepted_at = models.DateTimeField(
        _("award accepted"), null=True, blank=True, help_text=_("The selected applicant accepted the award.")
    )
    notified_at = models.DateTimeField(
        _("outcome notified"), null=True, blank=True, help_text=_("The objection window runs from here.")
    )
    # When the duplicate-funding check last ran (projects.duplicates.recheck): the sweep takes up
    # only submissions whose check never ran, whether or not their proposal indexed anything.
    duplicates_checked_at = models.DateTimeField(
        _("duplicate-funding check run"), null=True, blank=True, editable=False
    )
    # Optimistic locking: a save names the version it edited; a stale version is a conflict.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        ordering = ["call", "reference", "pk"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        constraints = [
            models.UniqueConstraint(
                fields=["call", "reference"],
                condition=~models.Q(reference=""),
                name="unique_reference_per_call",
            )
        ]
        # The eligibility queue pages a call's applications in submission order: without the
        # second index a page of 50 sorts every matching row (20,000 in a national call).
        indexes = [
            models.Index(fields=["call", "state"]),
            models.Index(fields=["call", "submitted_at", "id"]),
            # The call dashboard's applications per field and status (the index alone answers
            # it), and the evaluation overview's page of 50 by reference (no sort of 20,000).
            models.Index(
                fields=["call", "service_field", "state", "submitted_at"], name="application_field_state_idx"
            ),
            models.Index(fields=["call", "reference", "state"], name="application_reference_idx"),
            # The duplicate-funding sweep, every minute: the few whose check has not run.
            models.Index(
                fields=["submitted_at", "id"],
                condition=models.Q(duplicates_checked_at__isnull=True, submitted_at__isnull=False),
                name="application_unchecked_idx",
            ),
        ]

    def __str__(self):
        return self.reference or self.title

    def get_state_display(self):
        # Django's own rebuilds every translated state label for each call (the eligibility
        # queue's 50 rows: a thousand translations); one label is looked up instead.
        return str(STATE_LABELS.get(self.state, self.state))

    def clean_fields(self, exclude=None):
        # The protected state changes only through transitions.
        super().clean_fields(exclude={*(exclude or ()), "state"})

    def clean(self):
        super().clean()
        district_error = district_outside_region(self.test_bed_district, self.test_bed_region_id)
        if district_error:
            raise ValidationError({"test_bed_district": district_error})

    @property
    def applicant_label(self):
        return APPLICANT_LABELS[self.state]

    @property
    def result_published(self):
        """The call's results are published and this application has its outcome among them."""
        return self.state in RESULT_STATES and self.call.state in RESULTS_PUBLISHED_CALL_STATES

    @property
    def objection_deadline(self):
        if self.state not in OBJECTIONABLE_STATES or self.notified_at is None:
            return None
        return self.notified_at + OBJECTION_WINDOW

    @property
    def total_cost(self):
        return self.requested_subsidy + self.local_government + self.private_cash + self.private_in_kind

    def funding_sources(self):
        """The funding plan as a reader sees it: (source, amount in won, share of the total
        project cost in whole per cent, rounded) for the national subsidy, the local
        government, private cash and private in-kind."""
        total = self.total_cost
        sources = [
            (_("National subsidy"), self.requested_subsidy),
            (_("Local government"), self.local_government),
            (_("Private cash"), self.private_cash),
            (_("Private in-kind"), self.private_in_kind),
        ]
        return [(label, amount, round(amount * 100 / total, 1) if total else 0) for label, amount in sources]

    # --- Transitions: bodies are empty, projects.workflow does the work around them --------
    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=ApplicationState.DRAFT, target=ApplicationState.SUBMITTED)
    def submit(self, by=None, description=None):
        """Sent to the ministry before the deadline."""

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=[ApplicationState.DRAFT, *ELIGIBILITY_PENDING_STATES],
        target=ApplicationState.WITHDRAWN,
    )
    def withdraw(self, by=None, description=None):
        """The applicant takes the application back."""

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=ApplicationState.SUBMITTED, target=ApplicationState.ELIGIBLE)
    def confirm_eligible(self, by=None, description=None):
        """Staff confirm the application meets the call's eligibility rules."""

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=ApplicationState.SUBMITTED, target=ApplicationState.INELIGIBLE)
    def reject_ineligible(self, by=None, description=None):
        """Staff find the application ineligible, with a written reason."""

    # Corrections (DESIGN.md §4, projects.corrections): staff ask for named parts to be
    # corrected by a deadline; the application comes back when the applicant resubmits or the
    # deadline passes.
    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=ApplicationState.SUBMITTED, target=ApplicationState.CORRECTION_REQUESTED)
    def request_correction(self, by=None, description=None):
        """Staff ask the applicant to correct named parts by a deadline."""

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=ApplicationState.CORRECTION_REQUESTED, target=ApplicationState.SUBMITTED)
    def resubmit(self, by=None, description=None):
        """The applicant resubmits the corrected application before the deadline."""

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=ApplicationState.CORRECTION_REQUESTED, target=ApplicationState.SUBMITTED)
    def return_uncorrected(self, by=None, description=None):
        """The correction deadline passed without a resubmission: back to staff as it stands."""

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=ApplicationState.ELIGIBLE, target=ApplicationState.UNDER_REVIEW)
    def open_review(self, by=None, description=None):
        """Reviewers are assigned; scoring begins."""

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=ApplicationState.UNDER_REVIEW, target=ApplicationState.SCORED)
    def complete_review(self, by=None, description=None):
        """Every assigned review is submitted (or the panel closed)."""

    # Stages (DESIGN.md §4): a confirmed advancement run moves each application scored in a
    # stage that is not the last on to the next stage's review, or eliminates it there.
    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=ApplicationState.SCORED, target=ApplicationState.UNDER_REVIEW)
    def advance(self, by=None, description=None):
        """A confirmed advancement run moves it on to the next stage."""

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=ApplicationState.SCORED, target=ApplicationState.ELIMINATED)
    def eliminate(self, by=None, description=None):
        """A confirmed advancement run eliminates it at its stage (reason and margin recorded)."""

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=ApplicationState.SCORED, target=ApplicationState.SELECTED)
    def publish_selected(self, by=None, description=None):
        """A confirmed selection run selected it."""

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=ApplicationState.SCORED, target=ApplicationState.RESERVE)
    def publish_reserve(self, by=None, description=None):
        """A confirmed selection run put it on the reserve list."""

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=ApplicationState.SCORED, target=ApplicationState.NOT_SELECTED)
    def publish_not_selected(self, by=None, description=None):
        """A confirmed selection run did not select it (including below the cutoff)."""

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=ApplicationState.SELECTED, target=ApplicationState.DECLINED)
    def decline(self, by=None, description=None):
        """The selected applicant declines the award; a reserve is promoted."""

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=ApplicationState.SELECTED, target=ApplicationState.AWARDED)
    def sign_agreement(self, by=None, description=None):
        """The agreement is signed: the application becomes a Project."""

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=ApplicationState.RESERVE, target=ApplicationState.SELECTED)
    def promote(self, by=None, description=None):
        """A reserve takes the place a selected applicant declined."""

    # A confirmed re-run changes a published outcome (evaluation.selection_runs.confirm_run):
    # staff confirmed the list of changes; each is logged and the applicant told.
    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=[ApplicationState.RESERVE, ApplicationState.NOT_SELECTED],
        target=ApplicationState.SELECTED,
    )
    def revise_to_selected(self, by=None, description=None):
        """A confirmed re-run gives it a place."""

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=[ApplicationState.SELECTED, ApplicationState.NOT_SELECTED],
        target=ApplicationState.RESERVE,
    )
    def revise_to_reserve(self, by=None, description=None):
        """A confirmed re-run puts it on the reserve list (a selected one loses its place)."""

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=[ApplicationState.SELECTED, ApplicationState.RESERVE],
        target=ApplicationState.NOT_SELECTED,
    )
    def revise_to_not_selected(self, by=None, description=None):
        """A confirmed re-run does not select it (a selected one loses its place)."""

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=[ApplicationState.NOT_SELECTED, ApplicationState.RESERVE, ApplicationState.SCORED],
        target=ApplicationState.UNDER_REVIEW,
    )
    def reopen_review(self, by=None, description=None):
        """An upheld objection: re-reviewed by reviewers other than the original ones."""

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=ApplicationState.ELIMINATED, target=ApplicationState.UNDER_REVIEW)
    def reinstate(self, by=None, description=None):
        """An upheld objection to an elimination: it goes on to the next stage's review."""

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=ApplicationState.INELIGIBLE, target=ApplicationState.ELIGIBLE)
    def reconsider_eligibility(self, by=None, description=None):
        """An upheld objection to an ineligibility decision."""


class ConsortiumMemberState(models.TextChoices):
    PENDING = "pending", _("Waiting for the organisation's acceptance")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn by the lead")


class ConsortiumMemberQuerySet(models.QuerySet):
    def taking_part(self):
        """The members that count: the database form of ConsortiumMember.counts."""
        return self.filter(state=ConsortiumMemberState.ACCEPTED)

    def live(self):
        """The members still proposed (whatever their answer): not withdrawn by the lead, whose
        rows are kept for the record only (the database form of ConsortiumMember.is_live)."""
        return self.exclude(state=ConsortiumMemberState.WITHDRAWN)


class ConsortiumMember(models.Model):
    """A non-lead organisation of the application with its share of the budget.

    The applicant proposes it; one of the organisation's own members accepts or declines
    (projects.identity.respond_to_consortium, logged). Until accepted it counts for nothing:
    not in the eligibility facts, not for conflicts of interest, and the application cannot be
    submitted while one is not accepted.

    The lead may take a member off its draft (projects.identity.remove_consortium_member): the
    row is kept, withdrawn, with who, when and why in the state log, and counts for nothing;
    the same organisation may then be proposed again (a new row)."""

    State = ConsortiumMemberState

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="consortium_members")
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="consortium_memberships",
        verbose_name=_("organisation"),
    )
    budget_share_percent = models.DecimalField(
        _("share of the budget (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    state = FSMField(
        _("acceptance"), default=ConsortiumMemberState.PENDING, choices=ConsortiumMemberState.choices
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    responded_at = models.DateTimeField(_("answered"), null=True, blank=True)

    objects = ConsortiumMemberQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        verbose_name = _("consortium member")
        verbose_name_plural = _("consortium members")
        constraints = [
            # Once per application among the live rows: a withdrawn one may be proposed again.
            models.UniqueConstraint(
                fields=["application", "organisation"],
                condition=~models.Q(state=ConsortiumMemberState.WITHDRAWN),
                name="unique_live_consortium_member",
            )
        ]

    def __str__(self):
        return f"{self.organisation} ({self.budget_share_percent}%)"

    @property
    def counts(self):
        """Whether the member takes part (eligibility, conflicts): only once it accepted."""
        return self.state == ConsortiumMemberState.ACCEPTED

    @property
    def is_live(self):
        """Whether the member is still proposed: not withdrawn by the lead."""
        return self.state != ConsortiumMemberState.WITHDRAWN

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=ConsortiumMemberState.PENDING, target=ConsortiumMemberState.ACCEPTED)
    def accept(self, by=None, description=None):
        """A member of the organisation agrees to join the consortium."""

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=ConsortiumMemberState.PENDING, target=ConsortiumMemberState.DECLINED)
    def decline(self, by=None, description=None):
        """A member of the organisation refuses to join the consortium."""

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=[
            ConsortiumMemberState.PENDING,
            ConsortiumMemberState.ACCEPTED,
            ConsortiumMemberState.DECLINED,
        ],
        target=ConsortiumMemberState.WITHDRAWN,
    )
    def withdraw(self, by=None, description=None):
        """The lead takes the member off its draft: kept for the record, counting for nothing."""


def document_path(document, filename):
    # Never the user's name on disk: a random name inside the application's folder.
    return f"applications/{document.application_id}/{uuid.uuid4().hex}"


class Document(models.Model):
    """An uploaded file: type checked by content, stored outside any web root, served by a
    permission-checked view. Never deleted: a replaced document is marked superseded."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("kind"), max_length=30, choices=DocumentKind.choices)
    file = models.FileField(_("file"), upload_to=document_path)
    original_name = models.CharField(_("file name"), max_length=200)
    file_format = models.CharField(_("format"), max_length=10, choices=DocumentFormat.choices)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    superseded = models.BooleanField(_("replaced by a newer upload"), default=False)

    class Meta:
        ordering = ["kind", "-uploaded_at"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")

    def __str__(self):
        return self.original_name


class ReferenceCounter(models.Model):
    """The last reference number given in a call; locked while the next one is taken."""

    call = models.OneToOneField(Call, on_delete=models.CASCADE, related_name="reference_counter")
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.call.slug}: {self.last_number}"
