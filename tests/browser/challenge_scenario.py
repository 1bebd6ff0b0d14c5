"""Where the Smart City Challenge journey starts: copies of the 2022 Challenge's two calls
(competitions.demo: the preliminary stage, and the main stage whose previous stage it is, with
50:50 national/local matching), the main stage with budget categories (비목) and three project
years of indicators; five cities applied to the preliminary stage, each with a company in its
consortium, and were scored by a panel, through the project's own domain functions. The staff
run the preliminary selection in the browser. The other cities' way through the main stage
(bulk) goes through the same domain functions; the journey's own city goes through the pages.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role, group_for
from competitions.demo import (
    CHALLENGE_MAIN_2022,
    CHALLENGE_PRELIMINARY_2022,
    CallSpec,
    _advance,
    _upsert_call,
)
from competitions.models import BudgetCategory, Call, Region
from evaluation.assigning import assign_reviewers
from evaluation.demo import CHALLENGE_CRITERIA, seed_plan
from evaluation.demo_journey import Journey as Walk
from evaluation.demo_journey import panel_reviewers
from evaluation.models import Panel
from projects import carry_over, indicators, workflow
from projects.demo import DEMO_BUDGET_CATEGORIES
from projects.identity import respond_to_consortium
from projects.models import Application, Document, IndicatorSettings, Membership, Organisation
from projects.registration_number import check_digit
from tests.factories import reception_closed
from tests.projects.samples import pdf_bytes

from .scenarios import demo_user, score

PRELIMINARY = "challenge-journey-preliminary"
MAIN = "challenge-journey-main"
PASSWORD = "Gongmo-challenge-2022!"
BN = 1_000_000_000
WALK = Walk(PRELIMINARY, "529", applications=0, reviewers=3, seed=16)


@dataclass(frozen=True)
class City:
    name: str
    region: str
    company: str
    title: str
    quality: float


# The journey's city first (scored highest in both stages); the preliminary stage has four places.
CITIES = [
    City(
        "부산광역시 (Busan Metropolitan City)",
        "busan",
        "에코델타모빌리티(주) (Eco Delta Mobility)",
        "부산 에코델타 수요응답형 모빌리티 (Busan Eco Delta demand-responsive mobility)",
        0.95,
    ),
    City(
        "대구광역시 (Daegu Metropolitan City)",
        "daegu",
        "달구벌데이터(주) (Dalgubeol Data)",
        "대구 도심 주차 공유 (Daegu downtown parking sharing)",
        0.88,
    ),
    City(
        "광주광역시 (Gwangju Metropolitan City)",
        "gwangju",
        "빛고을에너지(주) (Bitgoeul Energy)",
        "광주 에너지 자립 마을 (Gwangju energy-independent village)",
        0.83,
    ),
    City(
        "대전광역시 (Daejeon Metropolitan City)",
        "daejeon",
        "한밭안전(주) (Hanbat Safety)",
        "대전 재난 안전 플랫폼 (Daejeon disaster safety platform)",
        0.78,
    ),
    City(
        "세종특별자치시 (Sejong Special Self-Governing City)",
        "sejong",
        "세종그린(주) (Sejong Green)",
        "세종 탄소중립 생활권 (Sejong carbon-neutral neighbourhood)",
        0.65,
    ),
]


def _number(n):
    first_nine = f"529{n:06d}"
    return first_nine + str(check_digit(first_nine))


def _person(email, first_name):
    user = User.objects.create_user(email=email, password=PASSWORD, first_name=first_name)
    user.groups.add(group_for(Role.APPLICANT))
    return user


def _city(n, city):
    """The city (a metropolitan local government, verified), its official, its partner company
    and the company's manager."""
    organisation = Organisation.objects.create(
        name=city.name,
        registration_number=_number(n),
        kind="local_government",
        government_level="metropolitan",
        region=Region.objects.get(slug=city.region),
        size_class="public",
        verified_at=timezone.now(),
    )
    official = _person(f"official@{city.region}.challenge.example", "Official")
    Membership.objects.create(user=official, organisation=organisation, role=Membership.Role.OWNER)
    company = Organisation.objects.create(
        name=city.company,
        registration_number=_number(100 + n),
        kind="company",
        region=Region.objects.get(slug=city.region),
        industry="ict",
        size_class="sme",
        verified_at=timezone.now(),
    )
    manager = _person(f"manager@{city.region}.company.example", "Manager")
    Membership.objects.create(user=manager, organisation=company, role=Membership.Role.OWNER)
    return organisation, official, company, manager


def _attach(application, user, kind="proposal"):
    content = pdf_bytes()
    document = Document(
        application=application,
        kind=kind,
        original_name=f"{kind}.pdf",
        file_format="pdf",
        size=len(content),
        uploaded_by=user,
    )
    document.file.save(document.original_name, ContentFile(content), save=False)
    document.save()


def _indicator_rows(years):
    return [
        indicators.IndicatorRow(
            None,
            "Riders of the shuttle",
            "수요응답형 셔틀 이용자 수",
            "명",
            Decimal(0),
            {year: Decimal(20_000 * year) for year in range(1, years + 1)},
        )
    ]


def _calls():
    now = timezone.now()
    staff = demo_user(Role.STAFF)
    preliminary = _upsert_call(
        CallSpec(
            **{
                **CHALLENGE_PRELIMINARY_2022.__dict__,
                "slug": PRELIMINARY,
                "title": "Journey: 2022 Smart City Challenge, preliminary stage",
                "title_ko": "여정: 2022년 스마트챌린지 예비사업 공모",
                "reference_prefix": "SCJP",
                "opens_at": now - timedelta(days=60),
                "closes_at": now - timedelta(days=30),
                "tracks": list(CHALLENGE_PRELIMINARY_2022.tracks),
                "rules": list(CHALLENGE_PRELIMINARY_2022.rules),
            }
        )
    )
    preliminary = _advance(preliminary, ["publish"], staff, "Journey: the Challenge, preliminary stage.")
    main = _upsert_call(
        CallSpec(
            **{
                **CHALLENGE_MAIN_2022.__dict__,
                "slug": MAIN,
                "title": "Journey: 2022 Smart City Challenge, main stage",
                "title_ko": "여정: 2022년 스마트챌린지 본사업 공모",
                "reference_prefix": "SCJM",
                "previous_stage": PRELIMINARY,
                "opens_at": now - timedelta(days=1),
                "closes_at": now + timedelta(days=20),
                "tracks": list(CHALLENGE_MAIN_2022.tracks),
                "rules": list(CHALLENGE_MAIN_2022.rules),
            }
        )
    )
    main = _advance(main, ["publish"], staff, "Journey: the Challenge, main stage.")
    for call in (preliminary, main):
        plan = seed_plan(call, CHALLENGE_CRITERIA, [])
        plan.reviews_per_application = plan.minimum_reviews = 3
        plan.save(update_fields=["reviews_per_application", "minimum_reviews"])
    IndicatorSettings.objects.create(call=preliminary, min_indicators=1, project_years=1)
    IndicatorSettings.objects.create(call=main, min_indicators=1, project_years=3)
    for position, (code, name, name_ko, cap) in enumerate(DEMO_BUDGET_CATEGORIES):
        BudgetCategory.objects.create(
            call=main, code=code, name=name, name_ko=name_ko, cap_percent=cap, position=position
        )
    reviewers = panel_reviewers(WALK, WALK.reviewers)
    for call in (preliminary, main):
        Panel.objects.create(call=call, name=f"{call.reference_prefix} 평가위원회").reviewers.add(*reviewers)
    return Call.objects.get(pk=preliminary.pk), Call.objects.get(pk=main.pk)


@dataclass
class Challenge:
    preliminary: Call
    main: Call
    applications: list  # the preliminary applications, the journey's city first
    people: list  # (official, manager) of each city


def preliminary_scored():
    """The two calls; the five cities' preliminary applications submitted (each 1.5 bn KRW
    national, matched 1:1 by the city, a company accepted in the consortium, one indicator),
    found eligible, assigned to the panel of three and scored, the review still open."""
    preliminary, main = _calls()
    staff = demo_user(Role.STAFF)
    track = preliminary.tracks.get()
    applications, people = [], []
    for n, city in enumerate(CITIES):
        organisation, official, company, manager = _city(n, city)
        application = Application.objects.create(
            call=preliminary,
            track=track,
            lead=organisation,
            created_by=official,
            title=city.title,
            summary=f"{city.title}: the city's problem and the consortium's representative solution.",
            test_bed_region=organisation.region,
            requested_subsidy=15 * BN // 10,
            local_government=15 * BN // 10,
        )
        member = application.consortium_members.create(
            organisation=company, budget_share_percent=Decimal("30.00"), proposed_by=official
        )
        respond_to_consortium(member, by=manager, accept=True)
        _attach(application, official)
        indicators.save_indicators(application, _indicator_rows(1), by=official)
        submitted = workflow.submit(
            application, by=official, now=preliminary.closes_at - timedelta(days=2, hours=n)
        )
        applications.append(submitted)
        people.append((official, manager))
    # Decided once every city has submitted: the first decision moves the call into evaluation.
    applications = [workflow.decide_eligibility(a, by=staff, eligible=True) for a in applications]
    assign_reviewers(preliminary, by=staff, seed=WALK.seed)
    for application, city in zip(applications, CITIES, strict=True):
        score(application, city.quality)
    return Challenge(Call.objects.get(pk=preliminary.pk), main, applications, people)


def other_cities_apply(challenge):
    """The other cities selected in the preliminary stage continue to the main stage through
    projects.carry_over, their partners accept again, they ask for less than the journey's city
    and submit."""
    submitted = []
    for application, (official, manager) in zip(
        challenge.applications[1:], challenge.people[1:], strict=True
    ):
        application = Application.objects.get(pk=application.pk)
        if application.state != "selected":
            continue
        draft = carry_over.carry_over(application, challenge.main, by=official).application
        for member in draft.consortium_members.all():
            respond_to_consortium(member, by=manager, accept=True)
        draft = workflow.save_draft(
            draft,
            {"requested_subsidy": 12 * BN, "local_government": 12 * BN},
            by=official,
            expected_version=draft.version,
            indicators=_indicator_rows(3),
        )
        _attach(draft, official)
        submitted.append(workflow.submit(draft, by=official))
    return submitted


def main_reception_closed(challenge):
    return reception_closed(challenge.main)


def score_main(challenge):
    """The panel scores every main-stage application: the journey's city highest."""
    quality = {a.lead_id: city.quality for a, city in zip(challenge.applications, CITIES, strict=True)}
    for application in Application.objects.filter(call=challenge.main, state="under_review"):
        score(application, quality[application.lead_id])


def upload(name):
    return SimpleUploadedFile(name, pdf_bytes(), "application/pdf")
