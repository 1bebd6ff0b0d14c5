"""The smart-city demo (issue 17): a service-certification round open all year and one certified
service on the menu board, so that a newcomer finds the catalogue and the board not empty and
can apply, assess and decide in the round themselves.

The certified service goes the whole way through smartcity.certification (applied for by the
demo applicant's company, assessed by the demo reviewer, decided by the demo staff), so its
history is logged like any other. Idempotent: a re-run finds the round and the service and
changes nothing."""

from django.core.files.uploadedfile import SimpleUploadedFile

from competitions.models import Region, ServiceType, SmartService, TechnologyField
from projects.demo import pdf_bytes

from . import certification
from .models import (
    CertificationApplication,
    CertificationIndex,
    CertificationKind,
    CertificationRound,
)

ROUND_NAME = "Smart city service certification (open all year)"
ROUND_NAME_KO = "스마트도시 서비스 인증(상시 접수)"

# The demo's certified service: a parking guide the demo applicant's company runs in Busan.
SERVICE = {
    "title": "해운대 스마트 주차 안내",
    "title_en": "Haeundae smart parking guide",
    "description": "주차면 센서로 해운대 일대 공영주차장의 빈자리를 실시간으로 안내합니다.",
    "description_en": "Sensors in the public car parks of Haeundae show the free spaces in real time.",
}
MENU_ITEM = ("Mobility", "Smart parking service")


def seed_demo_round(*, staff):
    """The service-certification round open all year. One assessment is enough for a decision:
    the demo has one reviewer (a real round asks for three, the model's default)."""
    demo_round, _created = CertificationRound.objects.get_or_create(
        kind=CertificationKind.SERVICE,
        name=ROUND_NAME,
        defaults={
            "name_ko": ROUND_NAME_KO,
            # The first service index (staff may since have made later versions).
            "index": CertificationIndex.objects.filter(kind=CertificationKind.SERVICE).order_by("pk").first(),
            "min_assessors": 1,
            "created_by": staff,
        },
    )
    return demo_round


def seed_demo_certified_service(demo_round, *, staff, reviewer, applicant, company):
    """Certify the demo service in ``demo_round`` unless the demo did already; returns its
    certificate."""
    done = CertificationApplication.objects.filter(round=demo_round, title=SERVICE["title"]).first()
    if done is not None:
        return getattr(done, "certificate", None)
    area, name = MENU_ITEM
    application = certification.apply(
        demo_round,
        organisation=company,
        by=applicant,
        menu_item=SmartService.objects.get(area__name=area, name=name),
        service_type=ServiceType.objects.order_by("code").first(),
        technology_fields=list(TechnologyField.objects.order_by("code")[:2]),
        regions=[Region.objects.get(slug="busan")],
        evidence=SimpleUploadedFile("service-evidence.pdf", pdf_bytes(), "application/pdf"),
        **SERVICE,
    )
    certification.assign_assessors(application, [reviewer], by=staff)
    assessment = application.assessments.get(assessor=reviewer)
    # 85 % of every sub-category: above each category's threshold and the overall one.
    points = {
        item.pk: round(item.max_points * 0.85)
        for category in demo_round.index.categories.prefetch_related("items")
        for item in category.items.all()
    }
    certification.submit_assessment(assessment, points, by=reviewer, comment="")
    _application, certificate = certification.decide(application, by=staff)
    return certificate


def seed_demo_smartcity(*, staff, reviewer, applicant, company):
    demo_round = seed_demo_round(staff=staff)
    certificate = seed_demo_certified_service(
        demo_round, staff=staff, reviewer=reviewer, applicant=applicant, company=company
    )
    return demo_round, certificate
