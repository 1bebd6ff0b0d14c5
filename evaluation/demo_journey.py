"""The demo's evaluated calls, walked through the project's own domain functions so that every
gate and invariant holds and every transition is logged: companies apply (with documents, so
every automatic rule passes), staff decide eligibility, panels per stage are assigned by
evaluation.assigning, reviewers sign the pledge, declare no conflict and score through
evaluation.reviewing, advancement and selection runs are recorded and confirmed.

``pilot-city-2022`` is evaluated as document review then presentation (30:70, the final score
weighted) with its 14 places and results published, and so is the citizen-led living-lab track
of ``innovation-tech-2022`` (six companies); ``pilot-city-review-demo`` has closed its
reception and is in evaluation: the document review's other reviewers have scored, the demo
reviewer's assignments wait (the pledge not yet signed, so the reviewer walks it first).

Each journey runs once, when its call has no application yet: seeding again changes nothing.
"""

import random
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.core.files.base import ContentFile

from accounts.models import User
from accounts.roles import Role, group_for
from competitions.models import Region
from projects import workflow
from projects.demo import pdf_bytes
from projects.models import Application, Document, FiscalYear, Membership, Organisation
from projects.registration_number import check_digit

from . import pledges, public_results, reviewing, selection_runs, stage_runs
from .assigning import assign_reviewers
from .models import Assignment, Criterion, EvaluationPlan, Panel, Reviewer
from .models.plan import FinalScore
from .models.stage import AdvancementRule, Stage, StageKind

BN = 1_000_000_000

# Korean legal name (the English in parentheses: Organisation has one name field).
COMPANY_NAMES = [
    ("누리교통시스템(주)", "Nuri Traffic Systems"),
    ("새벽케어로보틱스(주)", "Saebyeok Care Robotics"),
    ("한빛에너지솔루션(주)", "Hanbit Energy Solutions"),
    ("바다도시데이터(주)", "Bada Urban Data"),
    ("솔빛모빌리티(주)", "Solbit Mobility"),
    ("다온헬스케어(주)", "Daon Healthcare"),
    ("그린웨이브환경(주)", "Green Wave Environment"),
    ("세움안전기술(주)", "Seum Safety Technology"),
    ("하늘드론물류(주)", "Haneul Drone Logistics"),
    ("미래에듀랩(주)", "Mirae Edu Lab"),
    ("온누리스마트팜(주)", "Onnuri Smart Farm"),
    ("가람수처리(주)", "Garam Water Treatment"),
    ("이음디지털트윈(주)", "Ieum Digital Twin"),
    ("한결주차정보(주)", "Hangyeol Parking Information"),
    ("별빛조명제어(주)", "Byeolbit Lighting Control"),
    ("푸른숲탄소관리(주)", "Pureunsup Carbon Management"),
    ("다솜돌봄기술(주)", "Dasom Care Technology"),
    ("비전방범시스템(주)", "Vision Crime Prevention Systems"),
    ("도담자율주행(주)", "Dodam Autonomous Driving"),
    ("나래배터리순환(주)", "Narae Battery Recycling"),
    ("라온시민참여플랫폼(주)", "Raon Civic Platform"),
    ("모아공유주거(주)", "Moa Shared Housing"),
    ("단비재난알림(주)", "Danbi Disaster Alerts"),
    ("초록빛물관리(주)", "Chorokbit Water Management"),
]
PROFESSORS = [
    ("김", "민준", "Minjun Kim"),
    ("이", "서연", "Seoyeon Lee"),
    ("박", "도윤", "Doyun Park"),
    ("최", "지우", "Jiwoo Choi"),
    ("정", "하준", "Hajun Jeong"),
    ("강", "서윤", "Seoyun Kang"),
]
# The companies' representatives (family name, given name).
OWNERS = [
    ("윤", "재원", "Jaewon Yoon"),
    ("장", "미경", "Mikyung Jang"),
    ("임", "성호", "Sungho Lim"),
    ("한", "지민", "Jimin Han"),
    ("오", "현우", "Hyunwoo Oh"),
    ("서", "은지", "Eunji Seo"),
    ("신", "동현", "Donghyun Shin"),
]
REGIONS = ["busan", "sejong", "daegu", "gwangju", "daejeon", "seoul"]
TITLES = [
    ("Smart crossings that give pedestrians more time", "보행자에게 시간을 더 주는 스마트 횡단보도"),
    ("Night-time care robots for residents living alone", "1인 가구를 위한 야간 돌봄 로봇"),
    ("Demand-responsive shuttles for new neighbourhoods", "신도시 생활권 수요응답형 셔틀"),
    ("Digital twin of the city's water network", "상수도망 디지털 트윈"),
    ("Energy sharing between apartment blocks", "공동주택 간 에너지 공유"),
]


@dataclass(frozen=True)
class Journey:
    slug: str
    number_prefix: str  # three digits: the companies' registration numbers
    applications: int
    reviewers: int  # besides the demo reviewer
    seed: int
    track: str = ""  # the track every company applies to (its name); empty: the call's first


PILOT_2022_JOURNEY = Journey("pilot-city-2022", "522", applications=24, reviewers=6, seed=2022)
REVIEW_DEMO_JOURNEY = Journey("pilot-city-review-demo", "526", applications=10, reviewers=5, seed=2026)
# The innovation-technology call's citizen-led living-lab track: six companies apply, those
# selected may run a living lab (smartcity.demo opens one on the first project).
INNOVATION_2022_JOURNEY = Journey(
    "innovation-tech-2022", "524", applications=6, reviewers=5, seed=2023, track="Citizen-led living lab"
)


# --- Stages ---------------------------------------------------------------------------------------

PRESENTATION_CRITERIA = [
    ("Presentation and answers", "발표 및 질의응답", 40),
    ("Feasibility of the demonstration", "실증 실현 가능성", 35),
    ("Commitment of the team", "추진 의지", 25),
]


def configure_stages(call, document_criteria):
    """Document review (서면평가, 30 %: the top 1.5 × each field's places at or above 60 advance)
    then presentation (발표평가, 70 %, cutoff 70), the final score weighted. Returns the stages."""
    plan = EvaluationPlan.objects.get(call=call)
    if plan.final_score != FinalScore.WEIGHTED:
        plan.final_score = FinalScore.WEIGHTED
        plan.save(update_fields=["final_score"])
    settings = [
        (
            1,
            StageKind.DOCUMENT,
            "Document review",
            "서면평가",
            {
                "weight": Decimal("30"),
                "reviews_per_application": 4,
                "minimum_reviews": 3,
                "cutoff": Decimal("60"),
                "advancement": AdvancementRule.MULTIPLE,
                "advance_multiple": Decimal("1.5"),
            },
        ),
        (
            2,
            StageKind.PRESENTATION,
            "Presentation evaluation",
            "발표평가",
            {
                "weight": Decimal("70"),
                "reviews_per_application": 3,
                "minimum_reviews": 3,
                "cutoff": Decimal("70"),
                "advancement": AdvancementRule.CUTOFF,
            },
        ),
    ]
    stages = []
    for position, kind, name, name_ko, values in settings:
        stage, _created = Stage.objects.update_or_create(
            plan=plan, position=position, defaults={"kind": kind, "name": name, "name_ko": name_ko, **values}
        )
        stages.append(stage)
    # Criteria of the plan seeded before it had stages belong to the document review.
    Criterion.objects.filter(plan=plan, stage=None).update(stage=stages[0])
    for stage, criteria in ((stages[0], document_criteria), (stages[1], PRESENTATION_CRITERIA)):
        for position, (name, name_ko, points) in enumerate(criteria):
            Criterion.objects.update_or_create(
                plan=plan,
                name=name,
                stage=stage,
                defaults={"name_ko": name_ko, "max_points": points, "position": position},
            )
    return stages


def stage_panels(call, stages, reviewers):
    """One panel per stage: every reviewer on the document review, the first four presenting."""
    panels = []
    for stage, members in ((stages[0], reviewers), (stages[1], reviewers[:4])):
        panel, _created = Panel.objects.get_or_create(
            call=call,
            stage=stage,
            track=None,
            service_field=None,
            defaults={"name": f"{stage.name_ko} 위원회 ({stage.name} panel)"},
        )
        panel.reviewers.add(*members)
        panels.append(panel)
    return panels


# --- People and applications ---------------------------------------------------------------------


def _registration_number(first_nine):
    return first_nine + str(check_digit(first_nine))


def panel_reviewers(journey, count):
    """University professors invited to the call's committee (they log in by the invitation)."""
    reviewers = []
    for n in range(1, count + 1):
        email = f"reviewer{n}@{journey.slug}.gongmo.example"
        user = User.objects.filter(email=email).first()
        if user is None:
            last_name, first_name, name_en = PROFESSORS[(n - 1) % len(PROFESSORS)]
            user = User.objects.create_user(
                email=email, password=None, first_name=first_name, last_name=last_name, name_en=name_en
            )
            user.groups.add(group_for(Role.REVIEWER))
        university, _created = Organisation.objects.get_or_create(
            registration_number=_registration_number(f"{journey.number_prefix}9{n:05d}"),
            defaults={
                "name": f"한국{n}대학교 산학협력단 (Korea University {n} Industry Cooperation Foundation)",
                "kind": "university",
                "region": Region.objects.get(slug=REGIONS[n % len(REGIONS)]),
                "size_class": "nonprofit",
            },
        )
        reviewer, _created = Reviewer.objects.get_or_create(
            user=user, defaults={"code": f"R-{journey.number_prefix}{n:02d}", "affiliation": university}
        )
        reviewers.append(reviewer)
    return reviewers


def _company(journey, n):
    name_ko, name_en = COMPANY_NAMES[n % len(COMPANY_NAMES)]
    organisation = Organisation.objects.create(
        name=f"{name_ko} ({name_en} Co., Ltd.)",
        registration_number=_registration_number(f"{journey.number_prefix}{n:06d}"),
        kind="company",
        region=Region.objects.get(slug=REGIONS[n % len(REGIONS)]),
        industry="ict",
    )
    for year, sales in [(2023, 18 + n), (2024, 21 + n), (2025, 24 + n)]:
        FiscalYear.objects.create(
            organisation=organisation, year=year, sales=sales * BN, total_assets=sales * BN // 2
        )
    organisation.refresh_size_class()
    last_name, first_name, name_en = OWNERS[n % len(OWNERS)]
    user = User.objects.create_user(
        email=f"owner{n + 1}@{journey.slug}.gongmo.example",
        password=None,
        first_name=first_name,
        last_name=last_name,
        name_en=name_en,
    )
    user.groups.add(group_for(Role.APPLICANT))
    Membership.objects.create(user=user, organisation=organisation, role=Membership.Role.OWNER)
    return organisation, user


def _attach(application, kind, user, content):
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


def submitted_applications(call, journey):
    """Each company applies a day before the deadline and submits through projects.workflow."""
    fields = list(call.service_fields.order_by("position"))
    track = call.tracks.get(name=journey.track) if journey.track else call.tracks.order_by("position").first()
    content = pdf_bytes()
    rng = random.Random(journey.seed)
    applications = []
    for n in range(journey.applications):
        organisation, user = _company(journey, n)
        title, title_ko = TITLES[n % len(TITLES)]
        subsidy = rng.randint(10, 30) * 10_000_000
        application = Application.objects.create(
            call=call,
            track=track,
            service_field=fields[n % len(fields)] if fields else None,
            lead=organisation,
            created_by=user,
            title=f"{title_ko} ({title})",
            # Each company's own words: the duplicate-funding check finds no near-identical text.
            summary=f"{title}: {organisation.name.split(' (')[-1].removesuffix(' Co., Ltd.)')} demonstrates "
            f"it in {REGIONS[n % len(REGIONS)]} (test bed {journey.number_prefix}-{n + 1}) for the "
            f"{journey.slug} call, with its own partners and schedule.",
            test_bed_region=Region.objects.get(slug="busan" if n % 2 else "sejong"),
            requested_subsidy=subsidy,
            private_cash=subsidy // 4,
            private_in_kind=subsidy // 8,
        )
        for kind in ["proposal", "business_registration"]:
            _attach(application, kind, user, content)
        submitted_at = call.closes_at - timedelta(days=1, minutes=37 * n)
        applications.append(workflow.submit(application, by=user, now=submitted_at))
    return applications


def confirm_eligible(applications, staff):
    return [workflow.decide_eligibility(a, by=staff, eligible=True) for a in applications]


# --- Reviewing -----------------------------------------------------------------------------------


def score(assignments, quality, rng):
    """Each reviewer signs the call's pledge (once), declares no conflict and submits scores
    at the application's quality, with the reviewer's own wobble."""
    for assignment in assignments:
        user = assignment.reviewer.user
        pledges.sign_pledge(assignment, by=user, agreed=True, name=str(user))
        pledges.declare_no_conflict(assignment, by=user)
        level = quality[assignment.application_id]
        entries = {}
        for criterion in assignment.stage.criteria.all():
            share = min(1.0, max(0.0, level + rng.uniform(-0.05, 0.05)))
            entries[criterion] = (str(round(float(criterion.max_points) * share)), "")
        reviewing.save_review(
            assignment,
            entries,
            by=user,
            comment="제안 내용이 구체적이며 실증 계획이 명확합니다."
            if level > 0.75
            else "실현 가능성을 보완해야 합니다.",
            submit=True,
        )


def _active(call, stage, exclude_reviewer=None):
    assignments = (
        Assignment.objects.filter(application__call=call, stage=stage, state=Assignment.State.ACTIVE)
        .select_related("reviewer__user", "stage", "application")
        .order_by("application__reference", "reviewer__code")
    )
    if exclude_reviewer is not None:
        assignments = assignments.exclude(reviewer=exclude_reviewer)
    return list(assignments)


def presentation_slots(call, *, by):
    """The presentation stage's slots, with the applications waiting for it placed in them."""
    from .scheduling import demo_slots

    return demo_slots(call, by=by)


def run_staged_call(call, journey, *, staff, demo_reviewer, document_criteria, publish):
    """Applications through eligibility and the document review; with ``publish``, on through
    advancement, presentation and a confirmed (published) selection."""
    rng = random.Random(journey.seed)
    stages = configure_stages(call, document_criteria)
    reviewers = [demo_reviewer, *panel_reviewers(journey, journey.reviewers)]
    if publish:
        reviewers = reviewers[1:]  # the demo reviewer did not sit on the 2022 committee
    stage_panels(call, stages, reviewers)
    applications = confirm_eligible(submitted_applications(call, journey), staff)
    quality = {a.pk: rng.uniform(0.5, 0.97) for a in applications}
    assign_reviewers(call, by=staff, seed=journey.seed)
    if not publish:
        # The others have scored; the demo reviewer's reviews (and pledge) wait for the newcomer.
        score(_active(call, stages[0], exclude_reviewer=demo_reviewer), quality, rng)
        presentation_slots(call, by=staff)
        return stages
    score(_active(call, stages[0]), quality, rng)
    reviewing.close_review(call, by=staff)
    stage_runs.confirm_advancement(stage_runs.record_advancement(stages[0], by=staff), by=staff)
    assign_reviewers(call, by=staff, seed=journey.seed)
    score(_active(call, stages[1]), quality, rng)
    reviewing.close_review(call, by=staff)
    run, _results = selection_runs.run_selection(call, by=staff)
    selection_runs.confirm_run(run, by=staff)
    # The results on the call's public page, as the ministry announced them (titles and lead).
    public_results.publish_public_results(call, by=staff, listing=call.results_listing)
    return stages
