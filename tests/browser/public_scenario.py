"""Where the call-in-public journey starts, and the people it does not walk in the browser: a
draft copy of the open demo call (its tracks, fields, rules and criteria, built by the seed's
own builders) that staff finish in the browser; a second company that applies through
projects.workflow; and the committee, scored through evaluation.reviewing."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role, group_for
from competitions.demo import PILOT_2022, CallSpec, _upsert_call, demo_call_spec
from competitions.models import Call, Question, Region
from evaluation import reviewing
from evaluation.assigning import assign_reviewers
from evaluation.demo import PLANS, seed_plan
from evaluation.models import Panel, Reviewer
from evaluation.selection_runs import confirm_run, run_selection
from projects import workflow
from projects.answers import save_answers
from projects.models import Application
from tests.factories import reception_closed

from .scenarios import Proposal, _attach, _company, demo_user, score

SLUG = "pilot-city-in-public"
TITLE = "Journey: 2026 smart city innovation services, from the notice page to the results"
TITLE_KO = "여정: 2026년 스마트시티 혁신서비스 공모 (공고부터 결과 발표까지)"

SECOND = Proposal(
    "Haneul Mobility Lab Co., Ltd.",
    "314860088",
    ("Sumin", "Jeong"),
    "busan",
    1,
    "Shared e-scooter parking hubs by the metro exits",
    150_000_000,
    0.7,
)


def draft_call():
    """A draft copy of the open demo call, open since yesterday for three weeks, with the pilot
    call's evaluation criteria and no questions of its own yet (staff build them)."""
    now = timezone.now()
    spec = CallSpec(
        **{
            **demo_call_spec(now).__dict__,
            "slug": SLUG,
            "title": TITLE,
            "title_ko": TITLE_KO,
            "reference_prefix": "PCPUB",
            "opens_at": now - timedelta(days=1),
            "closes_at": now + timedelta(days=21),
            "tracks": list(PILOT_2022.tracks),
            "fields": list(PILOT_2022.fields),
            "rules": list(PILOT_2022.rules),
        }
    )
    call = _upsert_call(spec)
    criteria, bonuses = PLANS[PILOT_2022.slug]
    seed_plan(call, criteria, bonuses)
    return Call.objects.get(pk=call.pk)


def second_application(call, answers):
    """Another company applies and submits, answering the call's questions ({code: value})
    through the draft's own save (a file question with a document it uploads)."""
    organisation, user = _company(SECOND)
    application = Application.objects.create(
        call=call,
        track=call.tracks.first(),
        service_field=list(call.service_fields.all())[SECOND.field],
        lead=organisation,
        created_by=user,
        title=SECOND.title,
        summary=f"{SECOND.title}: a two-year demonstration in the national pilot smart city.",
        test_bed_region=Region.objects.get(slug="busan"),
        requested_subsidy=SECOND.subsidy,
        private_cash=SECOND.subsidy // 4,
        private_in_kind=SECOND.subsidy // 8,
    )
    for kind in ["proposal", "business_registration"]:
        _attach(application, kind, user)
    with transaction.atomic():
        save_answers(
            application,
            {Question.objects.get(call=call, code=code): value for code, value in answers.items()},
            {},
            by=user,
        )
    return workflow.submit(application, by=user)


def evaluated(call, applications):
    """The committee of five (the demo reviewer and four professors) scores every application
    at its quality; staff close the review, record the selection and confirm it."""
    staff = demo_user(Role.STAFF)
    panel = Panel.objects.create(call=call, name="공개 공모 평가위원회")
    reviewers = [Reviewer.objects.get(user=demo_user(Role.REVIEWER))]
    for n in range(1, 5):
        user = User.objects.create_user(
            email=f"professor{n}@public-call.example", password=None, first_name=f"Professor {n}"
        )
        user.groups.add(group_for(Role.REVIEWER))
        reviewers.append(Reviewer.objects.create(user=user, code=f"R-P{n}"))
    panel.reviewers.add(*reviewers)
    plan = call.evaluation_plan
    plan.review_due_at = timezone.now() + timedelta(days=14)
    plan.save(update_fields=["review_due_at"])
    assign_reviewers(call, by=staff, seed=1)
    for application, quality in applications:
        score(application, quality)
    reviewing.close_review(call, by=staff)
    run, _results = run_selection(call, by=staff)
    confirm_run(run, by=staff)
    return run


def closed(call):
    """Reception ends (a second ago): the clock moved on to the eligibility check."""
    return reception_closed(call)
