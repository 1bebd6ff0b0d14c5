"""Factories for certification tests: a service round open all year, a company that applies,
staff and three assessors (reviewers of the pool), and helpers to score and decide."""

from django.core.files.uploadedfile import SimpleUploadedFile

from competitions.models import Region, ServiceType, SmartService, TechnologyField
from evaluation.models import Reviewer
from smartcity import certification
from smartcity.models import CertificationIndex, CertificationKind, CertificationRound
from tests.factories import OrganisationFactory, StaffFactory, UserFactory
from tests.projects.samples import pdf_bytes


def evidence(name="evidence.pdf"):
    return SimpleUploadedFile(name, pdf_bytes())


def service_round(staff, **extra):
    return CertificationRound.objects.create(
        kind=CertificationKind.SERVICE,
        index=CertificationIndex.objects.filter(kind=CertificationKind.SERVICE).order_by("pk").first(),
        name="Service certification 2026",
        name_ko="2026년 서비스 인증",
        created_by=staff,
        **extra,
    )


def city_round(staff, **extra):
    return CertificationRound.objects.create(
        kind=CertificationKind.CITY,
        index=CertificationIndex.objects.filter(kind=CertificationKind.CITY).order_by("pk").first(),
        name="City certification 2026",
        name_ko="2026년 도시 인증",
        created_by=staff,
        **extra,
    )


def apply_for_service(round, owner, organisation=None, **extra):
    organisation = organisation or OrganisationFactory(owners=[owner], name="Parking Co")
    values = dict(
        title="스마트 주차 안내",
        title_en="Smart parking guide",
        description="빈 주차면을 실시간으로 안내합니다.",
        description_en="Shows free parking spaces in real time.",
        menu_item=SmartService.objects.order_by("pk").first(),
        service_type=ServiceType.objects.order_by("pk").first(),
        technology_fields=list(TechnologyField.objects.order_by("pk")[:2]),
        regions=[Region.objects.get(slug="busan")],
        evidence=evidence(),
    )
    values.update(extra)
    return certification.apply(round, organisation=organisation, by=owner, **values)


def reviewer(affiliation=None, expertise=(), **user):
    """A user of the reviewer pool (evaluation.models.Reviewer): who may assess."""
    person = UserFactory(**user)
    pool_member = Reviewer.objects.create(
        user=person, affiliation=affiliation, code=f"RC{Reviewer.objects.count() + 1:04d}"
    )
    pool_member.expertise.set(expertise)
    return person


def assessors(n=3):
    return [reviewer() for _ in range(n)]


def score_all(application, people, share):
    """Every assessor gives each sub-category ``share`` (0..1) of its maximum points, rounded."""
    index = application.round.index
    items = [item for category in index.categories.all() for item in category.items.all()]
    for person in people:
        assessment = application.assessments.get(assessor=person)
        points = {item.pk: round(item.max_points * share) for item in items}
        certification.submit_assessment(assessment, points, by=person)


def certified(round, staff, owner, share=0.9, **extra):
    application = apply_for_service(round, owner, **extra)
    people = assessors(round.min_assessors)
    certification.assign_assessors(application, people, by=staff)
    score_all(application, people, share)
    return certification.decide(application, by=staff)


__all__ = ["StaffFactory", "UserFactory", "OrganisationFactory"]
