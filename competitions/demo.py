"""The demo calls: the four 2022 calls of shared/reference/calls_2022.md with their exact
numbers, and ``pilot-city-demo``, a copy of the pilot call whose window is open now.

Dates the sources do not give (the Challenge windows, opening hours) are our choice and
marked so. Seeding is idempotent: rows are matched by slug (calls) or by call and name
(tracks, fields) and updated, never duplicated.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from .eligibility import validate_params
from .formatting import SEOUL
from .lifecycle import change_call_state
from .models import (
    Call,
    CallState,
    EligibilityRule,
    Programme,
    Question,
    QuestionKind,
    QuestionSection,
    ServiceField,
    Track,
)
from .notices import extend_deadline

PROGRAMMES = [
    {
        "slug": "pilot-city",
        "name": "National pilot smart city innovation service model verification and expansion",
        "name_ko": "국가시범도시 스마트시티 혁신서비스 모델 검증 및 확산 사업",
        "ministry": "Ministry of Land, Infrastructure and Transport (MOLIT), KAIA",
    },
    {
        "slug": "innovation-tech",
        "name": "Smart city innovation technology exploration",
        "name_ko": "스마트시티 혁신기술 발굴 사업",
        "ministry": "Ministry of Land, Infrastructure and Transport (MOLIT)",
    },
    {
        "slug": "smart-city-challenge",
        "name": "Smart City Challenge",
        "name_ko": "스마트챌린지 사업",
        "ministry": "Ministry of Land, Infrastructure and Transport (MOLIT)",
    },
]


def seoul(year, month, day, hour=0, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=SEOUL)


@dataclass
class QuotaSpec:
    name: str
    name_ko: str
    max_awards: int
    subsidy_cap: int | None = None
    living_lab: bool = False  # a track: its funded projects may open a living lab


@dataclass
class CallSpec:
    slug: str
    programme: str
    title: str
    title_ko: str
    reference_prefix: str
    opens_at: datetime
    closes_at: datetime
    budget_total: int
    max_awards: int
    subsidy_min: int
    subsidy_max: int
    summary: str = ""
    summary_ko: str = ""
    who_may_apply: str = ""
    who_may_apply_ko: str = ""
    briefing_at: datetime | None = None
    previous_stage: str | None = None
    blind_review: bool = False
    # The national:local matching ratio (competitions.matching); (0, 0): none.
    matching_ratio: tuple[int, int] = (0, 0)
    tracks: list[QuotaSpec] = field(default_factory=list)
    fields: list[QuotaSpec] = field(default_factory=list)
    # (track name or None for the whole call, rule kind, params): see competitions.eligibility.
    rules: list[tuple[str | None, str, dict]] = field(default_factory=list)


NO_SANCTION = (None, "no_active_sanction", {})
SUBSIDY_RANGE = (None, "subsidy_range", {})
PROPOSAL_ONLY = (None, "required_documents", {"kinds": ["proposal"]})

# The demo configuration of shared/reference/calls_2022.md.
PILOT_RULES = [
    (None, "allowed_applicants", {"kinds": ["company"]}),
    (None, "lead_is_sme", {}),
    (None, "large_company_share", {"max_percent": 30}),
    SUBSIDY_RANGE,
    (None, "matching_funds", {}),
    (None, "required_documents", {"kinds": ["proposal", "business_registration"]}),
    NO_SANCTION,
]
CHALLENGE_RULES = [
    (None, "allowed_applicants", {"kinds": ["local_government"]}),
    (None, "consortium_includes", {"kinds": ["company"], "min_count": 1}),
    SUBSIDY_RANGE,
    PROPOSAL_ONLY,
    NO_SANCTION,
]


PILOT_FIELDS = [
    QuotaSpec("Smart infrastructure", "스마트 인프라", 4),
    QuotaSpec("Transportation / logistics", "교통·물류", 5),
    QuotaSpec("Health / education", "헬스·교육", 4),
    QuotaSpec("Energy / environment", "에너지·환경", 4),
    QuotaSpec("Safety / living", "안전·생활", 5),
]

PILOT_2022 = CallSpec(
    slug="pilot-city-2022",
    programme="pilot-city",
    title="2022 national pilot smart city innovation technology contest (Sejong, Busan)",
    title_ko="2022년 국가시범도시(세종·부산) 스마트시티 혁신기술 공모",
    reference_prefix="PC22",
    # Reception 2022-03-14 to 2022-03-25 17:00; the opening hour (09:00) is our choice.
    opens_at=seoul(2022, 3, 14, 9),
    closes_at=seoul(2022, 3, 25, 17),
    briefing_at=seoul(2022, 3, 4, 14),
    budget_total=3_790_000_000,
    max_awards=14,
    subsidy_min=50_000_000,
    subsidy_max=300_000_000,
    summary=(
        "Innovative smart-city services of SMEs demonstrated in the national pilot smart cities, "
        "Sejong (5-1 neighbourhood) and Busan (Eco Delta City). Free competition in five "
        "service fields; results in April, demonstration until November."
    ),
    summary_ko=(
        "중소기업의 혁신적인 스마트시티 서비스를 국가시범도시 세종(5-1 생활권)과 부산(에코델타시티)에서 "
        "실증합니다. 5개 서비스 분야별 자유 공모이며, 4월 선정 후 11월까지 실증합니다."
    ),
    who_may_apply=(
        "Domestic companies with innovative smart-city technology; the lead must be an SME. "
        "A large company (or its affiliate) may take part only as a consortium member holding "
        "at most 30% of the budget."
    ),
    who_may_apply_ko=(
        "혁신적인 스마트시티 기술을 보유한 국내 기업이며, 주관기업은 중소기업이어야 합니다. "
        "대기업(계열사 포함)은 사업비의 30% 이내로 컨소시엄 참여기업으로만 참여할 수 있습니다."
    ),
    tracks=[QuotaSpec("SME-led innovation service", "중소기업 주관 혁신서비스", 14)],
    fields=PILOT_FIELDS,
    rules=PILOT_RULES,
)

INNOVATION_TECH_2022 = CallSpec(
    slug="innovation-tech-2022",
    programme="innovation-tech",
    title="2022 smart city innovation technology exploration",
    title_ko="2022년 스마트시티 혁신기술 발굴 사업 공모",
    reference_prefix="IT22",
    opens_at=seoul(2022, 3, 3, 9),
    closes_at=seoul(2022, 3, 8, 18),
    budget_total=20_000_000_000,
    max_awards=15,
    subsidy_min=0,
    subsidy_max=1_500_000_000,
    summary=(
        "One-year demonstrations of innovative smart-city technology after a three-way "
        "agreement between the ministry, the operator and the local government."
    ),
    summary_ko="정부·사업자·지자체 3자 협약 후 1년간 혁신 스마트시티 기술을 실증합니다.",
    who_may_apply=(
        "Enterprise-led track: companies or universities with innovative technology, together "
        "with the local government of the test site. Citizen-led living-lab track: companies or "
        "universities needing a citizen living-lab demonstration, or local governments building "
        "and running a living lab."
    ),
    who_may_apply_ko=(
        "기업 주도형: 혁신기술을 보유한 기업·대학이 실증지 지자체와 함께 신청합니다. "
        "시민 주도 리빙랩형: 시민 리빙랩 실증이 필요한 기업·대학 또는 리빙랩을 구축·운영하는 지자체가 신청합니다."
    ),
    tracks=[
        QuotaSpec("Enterprise-led", "기업 주도형", 10, 1_500_000_000),
        QuotaSpec("Citizen-led living lab", "시민 주도 리빙랩형", 5, 1_000_000_000, living_lab=True),
    ],
    rules=[
        ("Enterprise-led", "allowed_applicants", {"kinds": ["company", "university"]}),
        ("Enterprise-led", "consortium_includes", {"kinds": ["local_government"], "min_count": 1}),
        (
            "Citizen-led living lab",
            "allowed_applicants",
            {"kinds": ["company", "university", "local_government"]},
        ),
        SUBSIDY_RANGE,
        PROPOSAL_ONLY,
        NO_SANCTION,
    ],
)

CHALLENGE_PRELIMINARY_2022 = CallSpec(
    slug="challenge-2022-preliminary",
    programme="smart-city-challenge",
    title="2022 Smart City Challenge: preliminary stage",
    title_ko="2022년 스마트챌린지 예비사업 공모",
    reference_prefix="SC22P",
    # The sources give no window for the Challenge: these dates are our choice.
    opens_at=seoul(2022, 1, 24, 9),
    closes_at=seoul(2022, 3, 4, 18),
    budget_total=6_000_000_000,
    max_awards=4,
    subsidy_min=1_500_000_000,
    subsidy_max=1_500_000_000,
    summary=(
        "Local governments with private consortia solve a local problem with a representative "
        "solution; about four sites receive 1.5 bn KRW of national subsidy each."
    ),
    summary_ko="지자체와 민간 컨소시엄이 대표 솔루션으로 지역 문제를 해결합니다. 약 4곳에 국비 15억 원씩 지원합니다.",
    who_may_apply="A local government leading a consortium with at least one private company.",
    who_may_apply_ko="민간기업이 1곳 이상 참여한 컨소시엄을 구성한 지방자치단체가 주관하여 신청합니다.",
    tracks=[QuotaSpec("Local government with private consortium", "지자체·민간 컨소시엄", 4)],
    rules=CHALLENGE_RULES,
)

CHALLENGE_MAIN_2022 = CallSpec(
    slug="challenge-2022-main",
    programme="smart-city-challenge",
    title="2022 Smart City Challenge: main stage",
    title_ko="2022년 스마트챌린지 본사업 공모",
    reference_prefix="SC22M",
    # Our choice of window; the sources say only that it follows the preliminary stage.
    opens_at=seoul(2022, 11, 1, 9),
    closes_at=seoul(2022, 11, 30, 18),
    budget_total=30_000_000_000,
    max_awards=2,
    subsidy_min=0,
    subsidy_max=15_000_000_000,
    previous_stage="challenge-2022-preliminary",
    summary=(
        "About two sites receive 15 bn KRW of national subsidy over three years, matched "
        "50:50 by the local government."
    ),
    summary_ko="약 2곳에 3년간 국비 150억 원을 지원하며, 지자체가 50:50으로 대응 투자합니다.",
    who_may_apply=(
        "Only leads selected in the preliminary stage. The national share is at most 50%; the "
        "local government matches the rest."
    ),
    who_may_apply_ko="예비사업에 선정된 주관기관만 신청할 수 있습니다. 국비는 50% 이내이며 나머지는 지자체가 부담합니다.",
    tracks=[QuotaSpec("Local government with private consortium", "지자체·민간 컨소시엄", 2)],
    matching_ratio=(50, 50),  # the local government matches the national subsidy 1:1
    rules=CHALLENGE_RULES
    + [(None, "previous_stage_selected", {}), (None, "national_share", {"max_percent": 50})],
)

CALLS_2022 = [PILOT_2022, INNOVATION_TECH_2022, CHALLENGE_PRELIMINARY_2022, CHALLENGE_MAIN_2022]

DEMO_SLUG = "pilot-city-demo"
REVIEW_DEMO_SLUG = "pilot-city-review-demo"
# Calls whose applications are walked through the evaluation by evaluation.demo_journey: the
# lifecycle stops at "published" until their journey has run (finish_demo_calls then ends them).
JOURNEY_SLUGS = {"pilot-city-2022", "innovation-tech-2022"}


def demo_window(now):
    """Opened three days ago; closes at 17:00 Seoul time 30 days from now."""
    closes = (now.astimezone(SEOUL) + timedelta(days=30)).replace(hour=17, minute=0, second=0, microsecond=0)
    return now - timedelta(days=3), closes


def demo_call_spec(now):
    opens, closes = demo_window(now)
    return CallSpec(
        **{
            **PILOT_2022.__dict__,
            "slug": DEMO_SLUG,
            # The title names the call, not its state: the journeys move the demo call on.
            "title": "Demo: national pilot smart city innovation technology contest",
            "title_ko": "데모: 국가시범도시 스마트시티 혁신기술 공모",
            "reference_prefix": "PCDEMO",
            "opens_at": opens,
            "closes_at": closes,
            "briefing_at": None,
            "tracks": list(PILOT_2022.tracks),
            "fields": list(PILOT_2022.fields),
            "rules": list(PILOT_2022.rules),
        }
    )


def review_demo_window(now):
    """Opened 40 days ago; reception closed at 17:00 Seoul time 10 days ago."""
    closes = (now.astimezone(SEOUL) - timedelta(days=10)).replace(hour=17, minute=0, second=0, microsecond=0)
    return now - timedelta(days=40), closes


def review_demo_call_spec(now):
    opens, closes = review_demo_window(now)
    return CallSpec(
        **{
            **PILOT_2022.__dict__,
            "slug": REVIEW_DEMO_SLUG,
            "title": "Demo: national pilot smart city innovation technology contest (in evaluation)",
            "title_ko": "데모: 국가시범도시 스마트시티 혁신기술 공모 (평가 중)",
            "reference_prefix": "PCREV",
            "opens_at": opens,
            "closes_at": closes,
            "briefing_at": None,
            "tracks": list(PILOT_2022.tracks),
            "fields": list(PILOT_2022.fields),
            "rules": list(PILOT_2022.rules),
        }
    )


def _upsert_call(spec, keep_window=False):
    programme = Programme.objects.get(slug=spec.programme)
    defaults = {
        "programme": programme,
        "title": spec.title,
        "title_ko": spec.title_ko,
        "summary": spec.summary,
        "summary_ko": spec.summary_ko,
        "who_may_apply": spec.who_may_apply,
        "who_may_apply_ko": spec.who_may_apply_ko,
        "reference_prefix": spec.reference_prefix,
        "briefing_at": spec.briefing_at,
        "budget_total": spec.budget_total,
        "max_awards": spec.max_awards,
        "subsidy_min": spec.subsidy_min,
        "subsidy_max": spec.subsidy_max,
        "previous_stage": Call.objects.get(slug=spec.previous_stage) if spec.previous_stage else None,
        "blind_review": spec.blind_review,
        "matching_national_ratio": spec.matching_ratio[0],
        "matching_local_ratio": spec.matching_ratio[1],
    }
    if not keep_window:
        defaults.update(opens_at=spec.opens_at, closes_at=spec.closes_at)
    call = Call.objects.filter(slug=spec.slug).first() or Call(
        slug=spec.slug, opens_at=spec.opens_at, closes_at=spec.closes_at
    )
    changed = [name for name, value in defaults.items() if call.pk is None or getattr(call, name) != value]
    if call.pk is None or changed:
        for name in changed:
            setattr(call, name, defaults[name])
        call.full_clean()
        call.save()
    for position, quota in enumerate(spec.tracks):
        Track.objects.update_or_create(
            call=call,
            name=quota.name,
            defaults={
                "name_ko": quota.name_ko,
                "max_awards": quota.max_awards,
                "subsidy_cap": quota.subsidy_cap,
                "living_lab": quota.living_lab,
                "position": position,
            },
        )
    for position, quota in enumerate(spec.fields):
        ServiceField.objects.update_or_create(
            call=call,
            name=quota.name,
            defaults={"name_ko": quota.name_ko, "max_awards": quota.max_awards, "position": position},
        )
    for position, (track_name, kind, params) in enumerate(spec.rules):
        track = call.tracks.get(name=track_name) if track_name else None
        EligibilityRule.objects.update_or_create(
            call=call,
            track=track,
            kind=kind,
            defaults={"params": validate_params(kind, params), "position": position},
        )
    return call


# The open demo call's own questions (section, then its questions), so that a newcomer sees a
# call-specific form. None is required, so that the demo journeys submit without them; the
# tests show a required one refusing submission.
DEMO_QUESTIONS = (
    (
        ("The test bed", "실증 대상지", "Where the service will be verified.", "서비스를 실증할 장소입니다."),
        (
            (
                "test-bed-secured",
                QuestionKind.YES_NO,
                "Is the test bed secured (agreement with its owner)?",
                "실증 대상지를 확보했습니까(소유자와 협약)?",
                {},
            ),
            (
                "test-bed-users",
                QuestionKind.NUMBER,
                "Expected number of users of the service per day",
                "하루 예상 서비스 이용자 수",
                {"min_value": 0, "max_value": 1_000_000},
            ),
            (
                "service-area",
                QuestionKind.SINGLE_CHOICE,
                "Main area of the service",
                "서비스의 주된 분야",
                {
                    "choices": [
                        {"code": "1", "label": "Mobility", "label_ko": "교통"},
                        {"code": "2", "label": "Safety", "label_ko": "안전"},
                        {"code": "3", "label": "Environment and energy", "label_ko": "환경·에너지"},
                    ]
                },
            ),
        ),
    ),
    (
        ("The team", "수행 체계", "", ""),
        (
            (
                "prior-results",
                QuestionKind.LONG_TEXT,
                "Similar projects the team has carried out",
                "유사 과제 수행 실적",
                {"min_value": 20, "max_value": 2000},
            ),
            (
                "own-investment",
                QuestionKind.AMOUNT,
                "Investment of your own already made in the service (KRW)",
                "서비스에 이미 투자한 자체 금액(원)",
                {"min_value": 0},
            ),
            (
                "contact-person",
                QuestionKind.SHORT_TEXT,
                "Name of the person in charge",
                "실무 책임자 성명",
                {"max_value": 50, "identifying": True},
            ),
        ),
    ),
)


def _seed_questions(call, sections):
    """Give a draft call its demo questions once (a published call's questions are frozen)."""
    if call.state != CallState.DRAFT or call.questions.exists():
        return
    for section_position, ((title, title_ko, help_text, help_ko), questions) in enumerate(sections, 1):
        section = QuestionSection.objects.create(
            call=call,
            title=title,
            title_ko=title_ko,
            help_text=help_text,
            help_text_ko=help_ko,
            position=section_position,
        )
        for position, (code, kind, label, label_ko, extra) in enumerate(questions, 1):
            question = Question(
                call=call,
                section=section,
                code=code,
                kind=kind,
                label=label,
                label_ko=label_ko,
                position=position,
                **extra,
            )
            question.full_clean()
            question.save()


def _advance(call, targets, by, reason):
    """Walk the lifecycle forward, through the logged transitions, until ``targets`` is done."""
    for transition_name in targets:
        if transition_name == "publish" and call.state != CallState.DRAFT:
            continue
        if transition_name == "start_evaluation" and call.state != CallState.PUBLISHED:
            continue
        if transition_name == "publish_results" and call.state != CallState.EVALUATION:
            continue
        if transition_name == "close" and call.state != CallState.RESULTS_PUBLISHED:
            continue
        call = change_call_state(call, transition_name, by=by, reason=reason)
    return call


@transaction.atomic
def seed_demo_calls(by, now=None):
    """Create or update the demo programmes and calls; return them by slug."""
    now = now or timezone.now()
    for programme in PROGRAMMES:
        Programme.objects.update_or_create(slug=programme["slug"], defaults=programme)

    calls = {}
    for spec in CALLS_2022:
        call = _upsert_call(spec)
        journey_pending = spec.slug in JOURNEY_SLUGS and not call.applications.exists()
        calls[spec.slug] = _advance(
            call,
            ["publish"] if journey_pending else ["publish", "start_evaluation", "publish_results", "close"],
            by,
            "Demo data: the 2022 call has ended.",
        )

    existing = Call.objects.filter(slug=DEMO_SLUG).first()
    # Keep the demo window while it is open, so that seeding twice changes nothing;
    # reopen it when it has closed, so that a newcomer can always apply.
    keep_window = existing is not None and existing.closes_at >= now
    spec = demo_call_spec(now)
    if not keep_window and existing is not None and existing.state != CallState.DRAFT:
        # An announced deadline moves only by a recorded extension (everyone who applied told).
        if existing.state == CallState.PUBLISHED:
            extend_deadline(
                existing, spec.closes_at, reason="Demo data: reopened for newcomers.", by=by, now=now
            )
        else:
            keep_window = True
    demo = _upsert_call(spec, keep_window=keep_window)
    _seed_questions(demo, DEMO_QUESTIONS)
    calls[DEMO_SLUG] = _advance(demo, ["publish"], by, "Demo data: open for newcomers.")

    # The call in evaluation keeps the window it was first given (its reception has closed).
    existing = Call.objects.filter(slug=REVIEW_DEMO_SLUG).first()
    review_demo = _upsert_call(review_demo_call_spec(now), keep_window=existing is not None)
    calls[REVIEW_DEMO_SLUG] = _advance(
        review_demo, ["publish"], by, "Demo data: reception for the demo review."
    )
    return calls


@transaction.atomic
def finish_demo_calls(calls, by):
    """End the 2022 calls whose journey has run (results published by their selection)."""
    for slug in JOURNEY_SLUGS:
        calls[slug] = _advance(
            Call.objects.get(slug=slug),
            ["publish_results", "close"],
            by,
            "Demo data: the 2022 call has ended.",
        )
    return {slug: Call.objects.get(pk=call.pk) for slug, call in calls.items()}
