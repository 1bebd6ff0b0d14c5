"""Smart city certification, the rules (issue 17): apply, assess against the index, decide by
the pass rule, issue a numbered certificate, and change its state with a reason.

Each function that changes something checks permission, runs in a transaction with the rows
it depends on locked, refuses with reasons in the user's language (changing nothing) and logs
who, when and why (django-fsm-log's StateLog, as every workflow of the project does).
"""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import can_proceed
from django_fsm_log.models import StateLog

from competitions.files import safe_filename, validate_document
from competitions.lifecycle import TransitionRefused
from projects.models import Organisation
from projects.models.organisation import OrganisationKind

from . import certification_rules  # noqa: F401  (registers the permissions)
from .certification_assessors import assessor_problems, scoring_problems
from .models import (
    Assessment,
    AssessmentScore,
    Certificate,
    CertificateCounter,
    CertificateState,
    CertificationApplication,
    CertificationApplicationState,
    CertificationKind,
    CertifiedService,
    PilotProjectLink,
)
from .models.certification import KIND_LETTER

TWO_PLACES = Decimal("0.01")

# What each logged step is called on the pages that show the history.
STEP_LABELS = {
    "submit": gettext_lazy("Submitted"),
    "start_assessment": gettext_lazy("Assessors assigned"),
    "certify": gettext_lazy("Certified"),
    "refuse": gettext_lazy("Not certified"),
    "withdraw": gettext_lazy("Withdrawn"),
    "issue": gettext_lazy("Certificate issued"),
    "suspend": gettext_lazy("Suspended"),
    "reinstate": gettext_lazy("Reinstated"),
    "revoke": gettext_lazy("Revoked"),
    "replace": gettext_lazy("Replaced by a renewal"),
    "link_project": gettext_lazy("Linked to a pilot project"),
    "copy_index": gettext_lazy("Copied as a new version"),
    "revise_index": gettext_lazy("Index edited"),
}

# Who may apply for which kind: companies certify services, local governments their city.
APPLICANT_KINDS = {
    CertificationKind.SERVICE: OrganisationKind.COMPANY,
    CertificationKind.CITY: OrganisationKind.LOCAL_GOVERNMENT,
}


def _require(user, perm, obj, message):
    if not user.has_perm(perm, obj):
        raise PermissionDenied(message)


def log_step(obj, *, by, transition, description="", source=None):
    """Who did what to ``obj``, when and why, in django-fsm-log's StateLog (the page's history
    names the step by STEP_LABELS)."""
    StateLog.objects.create(
        by=by,
        source_state=source if source is not None else getattr(obj, "state", ""),
        state=getattr(obj, "state", ""),
        transition=transition,
        content_type=ContentType.objects.get_for_model(type(obj)),
        object_id=obj.pk,
        description=description or None,
    )


# --- The pass rule ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryResult:
    category: object
    points: Decimal
    threshold: int

    @property
    def passed(self):
        return self.points >= self.threshold


@dataclass(frozen=True)
class Verdict:
    categories: list
    total: Decimal
    overall_threshold: int
    assessments: int

    @property
    def passed(self):
        return passes([(c.points, c.threshold) for c in self.categories], self.total, self.overall_threshold)

    def reasons(self):
        """Why it failed, one line per threshold missed (empty when it passed)."""
        out = [
            _("%(category)s: %(points)s points, below the threshold of %(threshold)s.")
            % {"category": c.category.display_name, "points": c.points, "threshold": c.threshold}
            for c in self.categories
            if not c.passed
        ]
        if self.total < self.overall_threshold:
            out.append(
                _("Total: %(points)s points, below the overall threshold of %(threshold)s.")
                % {"points": self.total, "threshold": self.overall_threshold}
            )
        return out


def passes(category_points, total, overall_threshold):
    """The pass rule: every category at or above its threshold and the total at or above the
    overall threshold. ``category_points`` is [(points, threshold)]."""
    return all(points >= threshold for points, threshold in category_points) and total >= overall_threshold


def round_points(value):
    return Decimal(value).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def verdict(application):
    """The application's points per category: the mean over its submitted assessments of each
    assessor's category sum, rounded half-up to 2 decimals; the total is the sum of those."""
    index = application.round.index
    categories = list(index.categories.prefetch_related("items"))
    submitted = list(
        application.assessments.filter(submitted_at__isnull=False).prefetch_related("scores__item")
    )
    sums = {category.pk: 0 for category in categories}
    for assessment in submitted:
        for score in assessment.scores.all():
            sums[score.item.category_id] += score.points
    count = len(submitted) or 1
    results = [
        CategoryResult(category, round_points(Decimal(sums[category.pk]) / count), category.pass_threshold)
        for category in categories
    ]
    return Verdict(
        results, sum((r.points for r in results), Decimal("0.00")), index.overall_threshold, len(submitted)
    )


# --- Applying ---------------------------------------------------------------------------------


def apply(
    round,
    *,
    organisation,
    by,
    title,
    description,
    evidence,
    title_en="",
    description_en="",
    menu_item=None,
    service_type=None,
    technology_fields=(),
    regions=(),
    renews=None,
    now=None,
):
    """Apply to ``round`` for ``organisation``: a company certifies a service (``menu_item``
    required), a local government its city. Refused with reasons, nothing stored, when the
    round is not receiving, the organisation is of the wrong kind or the evidence is not an
    accepted document."""
    now = now or timezone.now()
    if not Organisation.objects.filter(pk=organisation.pk, memberships__user=by).exists():
        raise PermissionDenied(_("You may apply only for an organisation you belong to."))
    problems = []
    if not round.is_receiving(now):
        problems.append(_("This certification round is not receiving applications."))
    if organisation.kind != APPLICANT_KINDS[round.kind]:
        problems.append(
            _("Only a company may apply to certify a service.")
            if round.kind == CertificationKind.SERVICE
            else _("Only a local government may apply to certify its city.")
        )
    if round.kind == CertificationKind.SERVICE and menu_item is None:
        problems.append(_("Choose the service on the menu board this service belongs to."))
    if not (title or "").strip():
        problems.append(_("Give the name of the service or city."))
    if not (description or "").strip():
        problems.append(_("Describe the service or city."))
    if renews is not None and (
        renews.organisation_id != organisation.pk or renews.state == CertificateState.REVOKED
    ):
        problems.append(_("Only the holder of a certificate that was not revoked may renew it."))
    if evidence is None:
        problems.append(_("Attach the evidence."))
    else:
        try:
            validate_document(evidence, evidence.name, getattr(evidence, "size", None))
        except ValidationError as exc:
            problems.extend(exc.messages)
    if problems:
        raise TransitionRefused(problems)
    with transaction.atomic():
        application = CertificationApplication(
            round=round,
            organisation=organisation,
            title=title.strip(),
            title_en=title_en.strip(),
            description=description.strip(),
            description_en=description_en.strip(),
            menu_item=menu_item if round.kind == CertificationKind.SERVICE else None,
            service_type=service_type,
            renews=renews,
            submitted_by=by,
            submitted_at=now,
        )
        application.evidence_name = safe_filename(evidence.name)
        application.evidence.save(application.evidence_name, evidence, save=False)
        application.save()
        application.technology_fields.set(technology_fields)
        application.regions.set(regions)
        log_step(application, by=by, transition="submit", source="")
    return application


# --- Assessing --------------------------------------------------------------------------------


def _locked(application):
    # FOR UPDATE locks the joined rows too: the round's and its index's. An index is edited
    # under its row's lock until a submitted assessment freezes it (revise_index), so a
    # submission waits for an edit in progress and an edit after it finds the index frozen
    # (tests/postgres/test_smartcity_races.py).
    return (
        CertificationApplication.objects.select_for_update()
        .select_related("round__index")
        .get(pk=application.pk)
    )


def assign_assessors(application, assessors, *, by):
    """Staff assign assessors (users), each a reviewer of the pool not conflicted with the
    applicant (smartcity.certification_assessors); the application moves under assessment (the
    first time). Refused with the reasons, nothing written, when one may not assess."""
    _require(by, "smartcity.decide_certificationapplication", application, _("Only staff assign assessors."))
    with transaction.atomic():
        locked = _locked(application)
        if locked.state not in (
            CertificationApplicationState.SUBMITTED,
            CertificationApplicationState.UNDER_ASSESSMENT,
        ):
            raise TransitionRefused([_("This application is no longer being assessed.")])
        problems = assessor_problems(locked, assessors)
        if problems:
            raise TransitionRefused(problems)
        for person in assessors:
            Assessment.objects.get_or_create(
                application=locked, assessor=person, defaults={"assigned_by": by}
            )
        if locked.state == CertificationApplicationState.SUBMITTED:
            locked.start_assessment(by=by)  # the history names the step; no text to store
            locked.save()
    return locked


def submit_assessment(assessment, points, *, by, comment=""):
    """An assessor's scores, ``points`` {IndexItem pk: int}: every sub-category of the index,
    each from 0 to its maximum. Refused when the assessor is now conflicted with the applicant
    (a conflict declared after the assignment). Locked once submitted."""
    application = assessment.application
    if assessment.assessor_id != by.pk:
        raise PermissionDenied(_("Only the assigned assessor scores this assessment."))
    with transaction.atomic():
        locked = _locked(application)
        assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
        if assessment.submitted_at is not None:
            raise TransitionRefused([_("This assessment has already been submitted.")])
        if locked.state != CertificationApplicationState.UNDER_ASSESSMENT:
            raise TransitionRefused([_("This application is not under assessment.")])
        problems = scoring_problems(locked, by)
        if problems:
            raise TransitionRefused(problems)
        items = [
            item
            for category in locked.round.index.categories.prefetch_related("items")
            for item in category.items.all()
        ]
        problems = []
        for item in items:
            value = points.get(item.pk)
            if value is None:
                problems.append(_("%(item)s: give the points.") % {"item": item.display_name})
            elif not 0 <= int(value) <= item.max_points:
                problems.append(
                    _("%(item)s: points must be between 0 and %(max)s.")
                    % {"item": item.display_name, "max": item.max_points}
                )
        if problems:
            raise TransitionRefused(problems)
        AssessmentScore.objects.bulk_create(
            AssessmentScore(assessment=assessment, item=item, points=int(points[item.pk])) for item in items
        )
        assessment.submitted_at = timezone.now()
        assessment.comment = comment
        assessment.save(update_fields=["submitted_at", "comment"])
    return assessment


# --- Deciding and certificates ----------------------------------------------------------------


def next_certificate_number(kind, year):
    """SC-S-2026-0001: gapless per kind and year (the counter row is locked; call inside a
    transaction)."""
    CertificateCounter.objects.get_or_create(kind=kind, year=year)
    counter = CertificateCounter.objects.select_for_update().get(kind=kind, year=year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return f"SC-{KIND_LETTER[kind]}-{year}-{counter.last_number:04d}"


def add_years(day, years):
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def decide(application, *, by, today=None):
    """Staff close the assessment: a pass issues the certificate, a fail records the reasons.
    Needs at least the round's minimum number of submitted assessments."""
    _require(
        by, "smartcity.decide_certificationapplication", application, _("Only staff decide on certification.")
    )
    today = today or timezone.localdate()
    with transaction.atomic():
        locked = _locked(application)
        if locked.state != CertificationApplicationState.UNDER_ASSESSMENT:
            raise TransitionRefused([_("This application is not under assessment.")])
        result = verdict(locked)
        if result.assessments < locked.round.min_assessors:
            raise TransitionRefused(
                [
                    _("%(done)s of the %(needed)s assessments needed have been submitted.")
                    % {"done": result.assessments, "needed": locked.round.min_assessors}
                ]
            )
        if not result.passed:
            reasons = result.reasons()
            locked.decision_reason = "\n".join(reasons)
            locked.refuse(by=by, description=locked.decision_reason)
            locked.save()
            return locked, None
        locked.decision_reason = _("Total %(points)s points; every threshold reached.") % {
            "points": result.total
        }
        locked.certify(by=by, description=locked.decision_reason)
        locked.save()
        return locked, _issue(locked, result, by=by, today=today)


def _issue(application, result, *, by, today):
    previous = application.renews
    service = None
    if application.round.kind == CertificationKind.SERVICE:
        service = previous.certified_service if previous is not None else None
        service = _describe_service(application, service)
    certificate = Certificate.objects.create(
        number=next_certificate_number(application.round.kind, today.year),
        kind=application.round.kind,
        application=application,
        organisation=application.organisation,
        certified_service=service,
        previous=previous,
        valid_from=today,
        valid_until=add_years(today, application.round.validity_years) - date.resolution,
        issued_by=by,
        total_points=result.total,
    )
    log_step(certificate, by=by, transition="issue", source="", description=application.decision_reason)
    if previous is not None:
        previous = Certificate.objects.select_for_update().get(pk=previous.pk)
        if previous.state in (CertificateState.ACTIVE, CertificateState.SUSPENDED):
            previous.replace(by=by, description=_("Renewed by %(number)s.") % {"number": certificate.number})
            previous.save()
    return certificate


def _describe_service(application, service):
    """The catalogue's entry for a certified service: made at the first certificate, brought up
    to date by a renewal."""
    service = service or CertifiedService(organisation=application.organisation)
    service.menu_item = application.menu_item
    service.name, service.name_en = application.title, application.title_en
    service.description, service.description_en = application.description, application.description_en
    service.service_type = application.service_type
    service.save()
    service.technology_fields.set(application.technology_fields.all())
    service.regions.set(application.regions.all())
    return service


def _change_certificate(certificate, transition, *, by, reason):
    _require(
        by, "smartcity.change_certificate_state", certificate, _("Only staff change a certificate's state.")
    )
    reason = (reason or "").strip()
    if not reason:
        raise TransitionRefused([_("Give the reason.")])
    with transaction.atomic():
        locked = Certificate.objects.select_for_update().get(pk=certificate.pk)
        method = getattr(locked, transition)
        if not can_proceed(method):
            raise TransitionRefused(
                [
                    _("A certificate that is “%(state)s” cannot be changed so.")
                    % {"state": locked.get_state_display()}
                ]
            )
        method(by=by, description=reason)
        locked.state_reason = reason
        locked.save()
    return locked


def suspend(certificate, *, by, reason):
    return _change_certificate(certificate, "suspend", by=by, reason=reason)


def reinstate(certificate, *, by, reason):
    return _change_certificate(certificate, "reinstate", by=by, reason=reason)


def revoke(certificate, *, by, reason):
    return _change_certificate(certificate, "revoke", by=by, reason=reason)


CERTIFICATE_TRANSITIONS = {"suspend": suspend, "reinstate": reinstate, "revoke": revoke}


def link_project(project, certificate, *, by):
    """Link a funded pilot project to the certificate its service holds (logged)."""
    _require(
        by, "smartcity.change_certificate_state", certificate, _("Only staff link projects to certificates.")
    )
    with transaction.atomic():
        link, created = PilotProjectLink.objects.get_or_create(
            project=project, certificate=certificate, defaults={"linked_by": by}
        )
        if created:
            log_step(
                certificate,
                by=by,
                transition="link_project",
                description=_("Linked to project %(code)s.") % {"code": project.code},
            )
    return link
