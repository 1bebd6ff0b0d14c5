"""Smart city certification (issue 17): an index to assess against, rounds that receive
applications, assessors' scores, certificates with a number and a validity period, and the
certified services the public catalogue lists.

The rules (the pass rule, numbering, the certificate's life) live in smartcity.certification;
here are the fields, the states and the transitions, each logged by django-fsm-log."""

import uuid

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from competitions.models.localized import LocalizedName, pick_language


class CertificationKind(models.TextChoices):
    SERVICE = "service", _("Smart city service certification")
    CITY = "city", _("Smart city certification")


# The letter a certificate number carries for its kind: SC-S-2026-0001, SC-C-2026-0001.
KIND_LETTER = {CertificationKind.SERVICE: "S", CertificationKind.CITY: "C"}


class CertificationIndex(LocalizedName):
    """The Smart City Certification Index for one kind: categories of sub-categories with
    points; a pass needs every category at or above its threshold and the total at or above
    ``overall_threshold``."""

    kind = models.CharField(_("kind"), max_length=10, choices=CertificationKind.choices)
    overall_threshold = models.PositiveIntegerField(_("overall pass threshold (points)"))

    class Meta:
        ordering = ["kind", "id"]
        verbose_name = _("certification index")
        verbose_name_plural = _("certification indexes")

    @property
    def max_points(self):
        return sum(item.max_points for category in self.categories.all() for item in category.items.all())


class IndexCategory(LocalizedName):
    index = models.ForeignKey(
        CertificationIndex, on_delete=models.CASCADE, related_name="categories", verbose_name=_("index")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    pass_threshold = models.PositiveIntegerField(_("pass threshold (points)"))

    class Meta:
        ordering = ["index_id", "position", "id"]
        verbose_name = _("index category")
        verbose_name_plural = _("index categories")


class IndexItem(LocalizedName):
    """A sub-category of the index, scored by each assessor from 0 to ``max_points``."""

    category = models.ForeignKey(
        IndexCategory, on_delete=models.CASCADE, related_name="items", verbose_name=_("category")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    max_points = models.PositiveIntegerField(_("maximum points"), validators=[MinValueValidator(1)])

    class Meta:
        ordering = ["category_id", "position", "id"]
        verbose_name = _("index sub-category")
        verbose_name_plural = _("index sub-categories")


class CertificationRound(LocalizedName):
    """A round of certification, open all year (no window) or between two moments."""

    kind = models.CharField(_("kind"), max_length=10, choices=CertificationKind.choices)
    index = models.ForeignKey(
        CertificationIndex, on_delete=models.PROTECT, related_name="rounds", verbose_name=_("index")
    )
    opens_at = models.DateTimeField(_("reception opens"), null=True, blank=True)
    closes_at = models.DateTimeField(_("reception closes"), null=True, blank=True)
    validity_years = models.PositiveSmallIntegerField(
        _("certificate validity (years)"), default=3, validators=[MinValueValidator(1)]
    )
    min_assessors = models.PositiveSmallIntegerField(
        _("minimum number of assessments"), default=3, validators=[MinValueValidator(1)]
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("certification round")
        verbose_name_plural = _("certification rounds")

    @property
    def open_all_year(self):
        return self.opens_at is None and self.closes_at is None

    def is_receiving(self, now=None):
        now = now or timezone.now()
        return (self.opens_at is None or self.opens_at <= now) and (
            self.closes_at is None or now <= self.closes_at
        )


class CertificationApplicationState(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    UNDER_ASSESSMENT = "under_assessment", _("Under assessment")
    PASSED = "passed", _("Certified")
    FAILED = "failed", _("Not certified")
    WITHDRAWN = "withdrawn", _("Withdrawn")


def evidence_path(instance, filename):
    # Never the user's name on disk (as projects.models.document_path): a random name.
    return f"certification/{instance.organisation_id}/{uuid.uuid4().hex}"


class CertificationApplication(models.Model):
    """A company's application to certify a service, or a local government's to certify its
    city. ``renews`` names the certificate a renewal application would replace."""

    round = models.ForeignKey(
        CertificationRound, on_delete=models.PROTECT, related_name="applications", verbose_name=_("round")
    )
    organisation = models.ForeignKey(
        "projects.Organisation",
        on_delete=models.PROTECT,
        related_name="certification_applications",
        verbose_name=_("applicant"),
    )
    title = models.CharField(_("service or city"), max_length=200)
    title_en = models.CharField(_("name in English"), max_length=200, blank=True)
    description = models.TextField(_("description"))
    description_en = models.TextField(_("description in English"), blank=True)
    menu_item = models.ForeignKey(
        "competitions.SmartService",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service on the menu board"),
    )
    service_type = models.ForeignKey(
        "competitions.ServiceType",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service type"),
    )
    technology_fields = models.ManyToManyField(
        "competitions.TechnologyField", blank=True, related_name="+", verbose_name=_("technology fields")
    )
    regions = models.ManyToManyField(
        "competitions.Region", blank=True, related_name="+", verbose_name=_("regions where deployed")
    )
    evidence = models.FileField(_("evidence"), upload_to=evidence_path)
    evidence_name = models.CharField(_("file name"), max_length=255, blank=True)
    renews = models.ForeignKey(
        "Certificate",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="renewal_applications",
        verbose_name=_("certificate to renew"),
    )
    state = FSMField(
        _("state"),
        default=CertificationApplicationState.SUBMITTED,
        choices=CertificationApplicationState.choices,
        protected=True,
    )
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("submitted"), default=timezone.now)
    decision_reason = models.TextField(_("why"), blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("certification application")
        verbose_name_plural = _("certification applications")

    def __str__(self):
        return self.title

    @property
    def kind(self):
        return self.round.kind

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=CertificationApplicationState.SUBMITTED,
        target=CertificationApplicationState.UNDER_ASSESSMENT,
    )
    def start_assessment(self, by=None, description=None):
        """Assessors have been assigned."""

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=CertificationApplicationState.UNDER_ASSESSMENT,
        target=CertificationApplicationState.PASSED,
    )
    def certify(self, by=None, description=None):
        """Every category reached its threshold and the total the overall one."""

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=CertificationApplicationState.UNDER_ASSESSMENT,
        target=CertificationApplicationState.FAILED,
    )
    def refuse(self, by=None, description=None):
        """A category or the total fell below its threshold."""

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=[CertificationApplicationState.SUBMITTED, CertificationApplicationState.UNDER_ASSESSMENT],
        target=CertificationApplicationState.WITHDRAWN,
    )
    def withdraw(self, by=None, description=None):
        """The applicant withdrew before the decision."""


class Assessment(models.Model):
    """One assessor's scores for one application, one AssessmentScore per index sub-category;
    locked once submitted."""

    application = models.ForeignKey(
        CertificationApplication, on_delete=models.PROTECT, related_name="assessments"
    )
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("assessor")
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("assigned by")
    )
    assigned_at = models.DateTimeField(_("assigned"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["application_id", "id"]
        verbose_name = _("certification assessment")
        verbose_name_plural = _("certification assessments")
        constraints = [
            models.UniqueConstraint(fields=["application", "assessor"], name="one_assessment_per_assessor")
        ]

    def __str__(self):
        return f"{self.application} · {self.assessor}"


class AssessmentScore(models.Model):
    assessment = models.ForeignKey(
        Assessment,
        on_delete=models.CASCADE,
        related_name="scores",
        verbose_name=_("certification assessment"),
    )
    item = models.ForeignKey(IndexItem, on_delete=models.PROTECT, related_name="+")
    points = models.PositiveIntegerField(_("points"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["assessment", "item"], name="one_score_per_item")]

    def __str__(self):
        return f"{self.item}: {self.points}"


class CertifiedServiceQuerySet(models.QuerySet):
    def currently_certified(self, today=None):
        """Services holding an active certificate whose validity covers ``today``."""
        today = today or timezone.localdate()
        return self.filter(
            Exists(
                Certificate.objects.filter(
                    certified_service=OuterRef("pk"),
                    state=CertificateState.ACTIVE,
                    valid_from__lte=today,
                    valid_until__gte=today,
                )
            )
        )

    def listed(self):
        """What the public catalogue lists: services with a certificate that was not revoked
        (a suspended or expired one is shown, marked)."""
        return self.filter(
            Exists(
                Certificate.objects.filter(certified_service=OuterRef("pk")).exclude(
                    state=CertificateState.REVOKED
                )
            )
        )


class CertifiedService(models.Model):
    """A certified smart city service as the catalogue shows it; its certificates (the first
    and its renewals) say whether it is certified today."""

    menu_item = models.ForeignKey(
        "competitions.SmartService",
        on_delete=models.PROTECT,
        related_name="certified_services",
        verbose_name=_("service on the menu board"),
    )
    organisation = models.ForeignKey(
        "projects.Organisation",
        on_delete=models.PROTECT,
        related_name="certified_services",
        verbose_name=_("company"),
    )
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("name in English"), max_length=200, blank=True)
    description = models.TextField(_("description"))
    description_en = models.TextField(_("description in English"), blank=True)
    service_type = models.ForeignKey(
        "competitions.ServiceType",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service type"),
    )
    technology_fields = models.ManyToManyField(
        "competitions.TechnologyField", blank=True, related_name="+", verbose_name=_("technology fields")
    )
    regions = models.ManyToManyField(
        "competitions.Region", blank=True, related_name="+", verbose_name=_("regions where deployed")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = CertifiedServiceQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("certified service")
        verbose_name_plural = _("certified services")

    def __str__(self):
        return self.display_name

    def get_absolute_url(self):
        return reverse("smartcity:catalogue_service", args=[self.pk])

    @property
    def display_name(self):
        # Applicants write in Korean; the English name is optional (pick_language's order).
        return pick_language(self.name_en or self.name, self.name)

    @property
    def display_description(self):
        return pick_language(self.description_en or self.description, self.description)


class CertificateState(models.TextChoices):
    ACTIVE = "active", _("Valid")
    SUSPENDED = "suspended", _("Suspended")
    REVOKED = "revoked", _("Revoked")
    RENEWED = "renewed", _("Replaced by a renewal")


class CertificateCounter(models.Model):
    """The last certificate number given for a kind in a year; locked while the next is taken,
    so numbers are gapless."""

    kind = models.CharField(max_length=10, choices=CertificationKind.choices)
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "year"], name="one_certificate_counter")]

    def __str__(self):
        return f"{self.kind} {self.year}: {self.last_number}"


class Certificate(models.Model):
    number = models.CharField(_("certificate number"), max_length=20, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=CertificationKind.choices)
    application = models.OneToOneField(
        CertificationApplication, on_delete=models.PROTECT, related_name="certificate"
    )
    organisation = models.ForeignKey(
        "projects.Organisation",
        on_delete=models.PROTECT,
        related_name="certificates",
        verbose_name=_("holder"),
    )
    certified_service = models.ForeignKey(
        CertifiedService,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="certificates",
        verbose_name=_("certified service"),
    )
    previous = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="renewal",
        verbose_name=_("previous certificate"),
    )
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("issued by")
    )
    total_points = models.DecimalField(_("total points"), max_digits=7, decimal_places=2)
    state = FSMField(
        _("state"), default=CertificateState.ACTIVE, choices=CertificateState.choices, protected=True
    )
    state_reason = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gte=models.F("valid_from")), name="certificate_valid_period"
            )
        ]

    def __str__(self):
        return self.number

    def is_valid_on(self, day):
        return self.state == CertificateState.ACTIVE and self.valid_from <= day <= self.valid_until

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=CertificateState.ACTIVE, target=CertificateState.SUSPENDED)
    def suspend(self, by=None, description=None):
        """Use of the certificate stops until staff reinstate it."""

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=CertificateState.SUSPENDED, target=CertificateState.ACTIVE)
    def reinstate(self, by=None, description=None):
        """The reason for the suspension is resolved."""

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=[CertificateState.ACTIVE, CertificateState.SUSPENDED],
        target=CertificateState.REVOKED,
    )
    def revoke(self, by=None, description=None):
        """The certificate is withdrawn for good."""

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=[CertificateState.ACTIVE, CertificateState.SUSPENDED],
        target=CertificateState.RENEWED,
    )
    def replace(self, by=None, description=None):
        """A renewal certificate takes over from this one."""


class PilotProjectLink(models.Model):
    """A funded pilot project whose service holds this certificate."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.PROTECT, related_name="certificate_links"
    )
    certificate = models.ForeignKey(
        Certificate, on_delete=models.PROTECT, related_name="project_links", verbose_name=_("certificate")
    )
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("linked by")
    )
    linked_at = models.DateTimeField(_("linked at"), auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "certificate"], name="one_link_per_project_certificate"
            )
        ]

    def __str__(self):
        return f"{self.project} · {self.certificate}"
