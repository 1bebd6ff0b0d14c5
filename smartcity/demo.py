"""The smart-city demo (issue 17): a service-certification round open all year and one certified
service on the menu board, so that a newcomer finds the catalogue and the board not empty and
can apply, assess and decide in the round themselves; and a living lab on the citizen-led
project of the innovation-technology call, its feedback given through two phases.

The certified service goes the whole way through smartcity.certification (applied for by the
demo applicant's company, assessed by the demo reviewer, decided by the demo staff), so its
history is logged like any other. Idempotent: a re-run finds the round and the service and
changes nothing."""

from django.core.files.uploadedfile import SimpleUploadedFile

from competitions.models import Region, ServiceType, SmartService, TechnologyField
from projects.demo import pdf_bytes

from . import certification, living_labs
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


# The demo's living lab: on the first project of the innovation-technology call's citizen-led
# track, testing two services; the demo applicant is its staff-approved manager; four citizens
# (made-up accounts, no password) take part.
LAB = {
    "name": "해운대 안심 귀갓길 리빙랩",
    "name_en": "Haeundae safe way home living lab",
    "description": "주민이 밤길 안내 서비스와 스마트 가로등을 직접 시험하고 개선점을 제안합니다.",
    "description_en": "Residents test the night-time route guide and the smart street lights and suggest improvements.",
    "consent_version": "LL-2022-1",
    "consent_text": (
        "리빙랩 참여 관리를 위해 이름, 연락처, 연령대를 수집·이용합니다. "
        "보유 기간: 사업 종료 후 1년. 동의하지 않으면 참여할 수 없습니다."
    ),
    "consent_text_en": (
        "We collect and use your name, contact and age band to manage your participation. "
        "Kept until one year after the project ends. Without consent you cannot take part."
    ),
}
LAB_SERVICES = [("안심 귀갓길 안내", "Safe way home guide"), ("스마트 가로등", "Smart street lights")]
# (e-mail, family name, given name, English name, contact, age band)
LAB_CITIZENS = [
    ("citizen1@lab.gongmo.example", "김", "하늘", "Haneul Kim", "010-1111-2201", "20s"),
    ("citizen2@lab.gongmo.example", "이", "바다", "Bada Lee", "010-1111-2202", "30s"),
    ("citizen3@lab.gongmo.example", "박", "들꽃", "Deulkkot Park", "010-1111-2203", "50s"),
    ("citizen4@lab.gongmo.example", "최", "구름", "Gureum Choi", "010-1111-2204", "60_plus"),
]
# Per phase walked, each citizen's (rating, comment) on each service, in LAB_SERVICES' order.
LAB_FEEDBACK = {
    "explore": [
        [(2, "골목길 안내가 늦게 나옵니다."), (3, "")],
        [(3, ""), (4, "가로등이 밝아졌어요.")],
        [(4, "길 안내가 편리합니다."), (3, "")],
        [(2, "글자가 너무 작아요."), (2, "밤 11시 이후에 꺼집니다.")],
    ],
    "co_design": [
        [(4, "큰 글씨 화면이 좋아졌습니다."), (4, "")],
        [(4, ""), (5, "밤새 켜져서 안심됩니다.")],
        [(5, "도착 알림이 유용합니다."), (4, "")],
        [(3, "음성 안내가 있으면 좋겠습니다."), (4, "")],
    ],
}
LAB_QUESTION = ("밤길이 전보다 안전하다고 느끼십니까?", "Do you feel safer walking at night than before?")
LAB_ANSWERS = [4, 5, 4, 3]
LAB_REASONS = {
    "explore": "탐색 단계 의견 수렴 완료: 글자 크기와 가로등 운영 시간 개선 (Explore done)",
    "co_design": "공동 설계 반영 완료, 실증 시작 (Co-design done, testing starts)",
}


def _citizen(email, last_name, first_name, name_en):
    """A citizen's account (made up: no password, nobody logs in as them)."""
    from accounts.models import User
    from accounts.roles import Role, group_for

    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(
            email=email, password=None, first_name=first_name, last_name=last_name, name_en=name_en
        )
        user.groups.add(group_for(Role.APPLICANT))
    return user


def seed_demo_living_lab(*, staff, manager):
    """The demo's living lab, through smartcity.living_labs (every change logged): opened by staff
    on the first project of a living-lab track, ``manager`` approved; the citizens join with
    consent and give feedback in the explore and co-design phases, answer the co-design survey;
    the lab is now testing. Runs once; returns the lab, or None when no project may run one."""
    from projects.models import Project

    from .models import LivingLab

    lab = LivingLab.objects.filter(name=LAB["name"]).first()
    if lab is not None:
        return lab
    project = (
        Project.objects.filter(award__application__track__living_lab=True, living_lab__isnull=True)
        .order_by("pk")
        .first()
    )
    if project is None:
        return None
    lab = living_labs.open_lab(
        project,
        services=[(name, name_en, None) for name, name_en in LAB_SERVICES],
        by=staff,
        **LAB,
    )
    living_labs.approve_manager(lab, manager, by=staff)
    services = list(lab.services.order_by("position"))
    people = [
        living_labs.join(
            lab,
            _citizen(email, last, first, english),
            name=last + first,
            contact=contact,
            age_band=age,
            consent_given=True,
        )
        for email, last, first, english, contact, age in LAB_CITIZENS
    ]
    question = living_labs.add_question(
        lab, phase="co_design", kind="rating", text=LAB_QUESTION[0], text_en=LAB_QUESTION[1], by=manager
    )
    for phase, given in LAB_FEEDBACK.items():
        for person, ratings in zip(people, given, strict=True):
            for service, (rating, comment) in zip(services, ratings, strict=True):
                living_labs.give_feedback(person, service, rating=rating, comment=comment)
        if phase == "co_design":
            for person, answer in zip(people, LAB_ANSWERS, strict=True):
                living_labs.answer_survey(person, {question: answer})
        lab = living_labs.advance(lab, by=manager, reason=LAB_REASONS[phase])
    return lab


def seed_demo_smartcity(*, staff, reviewer, applicant, company):
    demo_round = seed_demo_round(staff=staff)
    certificate = seed_demo_certified_service(
        demo_round, staff=staff, reviewer=reviewer, applicant=applicant, company=company
    )
    seed_demo_living_lab(staff=staff, manager=applicant)
    return demo_round, certificate
