"""seed_demo: the 2022 calls with their exact numbers, an open demo call, one login per role."""

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory
from django.utils import timezone
from django_fsm_log.models import StateLog

from accounts.demo import DEMO_ACCOUNTS
from accounts.models import User
from accounts.roles import Role, has_role
from competitions.models import Call, CallState, EligibilityRule, Programme, ServiceField, Track
from evaluation.models import AdvancementRun, Assignment, Panel, Pledge, Review, SelectionRun, Stage
from projects.models import Application, FiscalYear, Membership, Organisation

# The demo is seeded once for the module (tests/conftest.py's seeded_demo, with its uploads in
# a folder of its own); each test's changes are rolled back. The tests of seeding itself (a
# re-run, a closed window, the printed logins) seed again on top of it.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo")]

SLUGS = {
    "pilot-city-2022",
    "innovation-tech-2022",
    "challenge-2022-preliminary",
    "challenge-2022-main",
    "pilot-city-demo",
    "pilot-city-review-demo",
}


def seed():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def snapshot():
    """Every row seed_demo writes, with its values (updated_at included: a re-run touches nothing)."""
    return {
        "calls": list(Call.objects.order_by("pk").values_list()),
        "tracks": list(Track.objects.order_by("pk").values_list()),
        "fields": list(ServiceField.objects.order_by("pk").values_list()),
        "programmes": sorted(Programme.objects.values_list()),
        "users": sorted(User.objects.values_list("email", "is_staff", "password")),
        "logs": StateLog.objects.count(),
        "rules": list(
            EligibilityRule.objects.order_by("pk").values_list("call__slug", "track__name", "kind", "params")
        ),
        "organisations": list(Organisation.objects.order_by("pk").values_list()),
        "fiscal_years": list(FiscalYear.objects.order_by("pk").values_list()),
        "memberships": sorted(Membership.objects.values_list("user__email", "organisation__name", "role")),
        "applications": list(Application.objects.order_by("pk").values_list()),
        "assignments": list(Assignment.objects.order_by("pk").values_list()),
        "reviews": list(Review.objects.order_by("pk").values_list()),
        "stages": list(Stage.objects.order_by("pk").values_list()),
        "panels": list(Panel.objects.order_by("pk").values_list("pk", "call_id", "stage_id", "name")),
        "pledges": list(Pledge.objects.order_by("pk").values_list("pk", "reviewer_id", "call_id")),
        "advancement_runs": list(AdvancementRun.objects.order_by("pk").values_list()),
        "selection_runs": list(SelectionRun.objects.order_by("pk").values_list()),
    }


def test_seed_demo_is_idempotent():
    first = snapshot()
    seed()
    assert snapshot() == first
    assert set(Call.objects.values_list("slug", flat=True)) == SLUGS


def test_pilot_city_2022_exact_numbers():
    call = Call.objects.get(slug="pilot-city-2022")
    assert call.budget_total == 3_790_000_000
    assert call.max_awards == 14
    assert (call.subsidy_min, call.subsidy_max) == (50_000_000, 300_000_000)
    fields = list(call.service_fields.order_by("position").values_list("name", "max_awards"))
    assert fields == [
        ("Smart infrastructure", 4),
        ("Transportation / logistics", 5),
        ("Health / education", 4),
        ("Energy / environment", 4),
        ("Safety / living", 5),
    ]
    assert call.field_places() == 22
    closes = timezone.localtime(call.closes_at)
    assert (closes.year, closes.month, closes.day, closes.hour, closes.minute) == (2022, 3, 25, 17, 0)
    briefing = timezone.localtime(call.briefing_at)
    assert (briefing.month, briefing.day, briefing.hour) == (3, 4, 14)
    assert call.state == CallState.CLOSED


def test_innovation_tech_tracks():
    call = Call.objects.get(slug="innovation-tech-2022")
    assert call.budget_total == 20_000_000_000
    assert list(call.tracks.order_by("position").values_list("name", "max_awards", "subsidy_cap")) == [
        ("Enterprise-led", 10, 1_500_000_000),
        ("Citizen-led living lab", 5, 1_000_000_000),
    ]


def test_challenge_main_is_stage_two_of_the_preliminary():
    preliminary = Call.objects.get(slug="challenge-2022-preliminary")
    main = Call.objects.get(slug="challenge-2022-main")
    assert main.previous_stage == preliminary
    assert (preliminary.max_awards, preliminary.subsidy_max) == (4, 1_500_000_000)
    assert (main.max_awards, main.subsidy_max) == (2, 15_000_000_000)


def test_demo_call_is_open_now_and_copies_the_pilot_call():
    demo = Call.objects.get(slug="pilot-city-demo")
    pilot = Call.objects.get(slug="pilot-city-2022")
    assert demo.is_receiving()
    assert (demo.budget_total, demo.max_awards, demo.subsidy_min, demo.subsidy_max) == (
        pilot.budget_total,
        pilot.max_awards,
        pilot.subsidy_min,
        pilot.subsidy_max,
    )
    assert list(demo.service_fields.values_list("name", "max_awards")) == list(
        pilot.service_fields.values_list("name", "max_awards")
    )


def test_a_closed_demo_window_is_reopened():
    Call.objects.filter(slug="pilot-city-demo").update(
        opens_at=timezone.now() - timezone.timedelta(days=60),
        closes_at=timezone.now() - timezone.timedelta(days=1),
    )
    seed()
    assert Call.objects.get(slug="pilot-city-demo").is_receiving()


def test_the_2022_calls_went_through_logged_transitions():
    call = Call.objects.get(slug="pilot-city-2022")
    transitions = list(StateLog.objects.for_(call).order_by("pk").values_list("transition", "by__email"))
    assert transitions == [
        ("publish", "staff@gongmo.example"),
        ("start_evaluation", "staff@gongmo.example"),
        ("publish_results", "staff@gongmo.example"),
        ("publish_public_results", "staff@gongmo.example"),
        ("close", "staff@gongmo.example"),
    ]


def test_one_login_per_role_is_printed_and_works():
    output = seed()
    for account in DEMO_ACCOUNTS:
        assert account.email in output and account.password in output
        # As the log-in page does: the throttling backend (django-axes) needs the request.
        request = RequestFactory().post("/accounts/login/")
        user = authenticate(request, username=account.email, password=account.password)
        assert user is not None, account.email
        assert has_role(user, account.role)
    staff = User.objects.get(email="staff@gongmo.example")
    assert staff.is_staff and staff.has_perm("competitions.change_call")
    auditor = User.objects.get(email="auditor@gongmo.example")
    assert auditor.has_perm("competitions.view_call") and not auditor.has_perm("competitions.change_call")
    assert not has_role(User.objects.get(email="applicant@gongmo.example"), Role.STAFF)


def test_demo_calls_carry_the_demo_eligibility_rules():
    pilot = [rule.kind for rule in EligibilityRule.objects.filter(call__slug="pilot-city-demo")]
    assert pilot == [
        "allowed_applicants",
        "lead_is_sme",
        "large_company_share",
        "subsidy_range",
        "matching_funds",
        "required_documents",
        "no_active_sanction",
    ]
    main = EligibilityRule.objects.filter(call__slug="challenge-2022-main")
    assert {"previous_stage_selected", "national_share"} <= set(main.values_list("kind", flat=True))
    enterprise = EligibilityRule.objects.get(call__slug="innovation-tech-2022", kind="consortium_includes")
    assert enterprise.track.name == "Enterprise-led"


def test_demo_applicant_owns_an_sme_and_partners_exist():
    owned = Organisation.objects.get(memberships__user__email="applicant@gongmo.example")
    assert owned.size_class == "sme"
    assert "≤ 80 bn band for Information and communication" in owned.size_class_reason
    assert (
        Organisation.objects.get(name="한빛건설(주) (Hanbit Construction Corporation)").size_class == "large"
    )


def test_demo_evaluation_plans_add_up_to_100_and_the_reviewer_sits_on_the_demo_panel():
    from evaluation.models import EvaluationPlan, Panel

    for plan in EvaluationPlan.objects.all():
        stages = list(plan.stages.all())
        if stages:  # each stage's criteria add up to 100, the weights too
            by_stage = {stage: list(stage.criteria.all()) for stage in stages}
            assert plan.stages_problems(stages, by_stage) == [], plan.call.slug
        else:
            assert plan.criteria_problem() is None, plan.call.slug
    pilot = EvaluationPlan.objects.get(call__slug="pilot-city-2022")
    document = pilot.stages.get(position=1)
    assert [c.name for c in document.criteria.order_by("position")][:2] == ["Innovation", "Feasibility"]
    assert pilot.top_criterion(list(document.criteria.all())).name == "Innovation"
    assert set(pilot.bonus_rules.values_list("code", flat=True)) == {"sme-lead", "non-capital", "women-owned"}
    panel = Panel.objects.get(call__slug="pilot-city-demo")
    assert panel.reviewers.filter(user__email="reviewer@gongmo.example").exists()


# --- The evaluated calls (evaluation.demo_journey) ----------------------------------------------


def test_every_invariant_holds_in_every_demo_call():
    """The funding workbook's Checks all pass for every demo call, walked or not."""
    from io import BytesIO

    from audit.funding_workbook import write_funding_workbook

    for call in Call.objects.order_by("slug"):
        summary = write_funding_workbook([call], BytesIO())
        assert summary["checks"], call.slug
        failing = [check for check in summary["checks"] if check["result"] != "PASS"]
        assert failing == [], call.slug
        assert summary["passed"], call.slug


def test_the_pilot_call_was_evaluated_in_two_stages_and_its_results_published():
    from evaluation.models import AdvancementResult, NoConflictDeclaration
    from evaluation.models.stage import StageKind
    from projects.models import ApplicationState

    call = Call.objects.get(slug="pilot-city-2022")
    plan = call.evaluation_plan
    assert plan.final_score == "weighted"
    stages = list(plan.stages.order_by("position").values_list("kind", "weight"))
    assert stages == [(StageKind.DOCUMENT, 30), (StageKind.PRESENTATION, 70)]
    document, presentation = plan.stages.order_by("position")
    assert Panel.objects.filter(call=call, stage=document).exists()
    assert Panel.objects.filter(call=call, stage=presentation).exists()
    advancement = AdvancementRun.objects.get(stage=document)
    assert advancement.confirmed_at is not None
    advanced = AdvancementResult.objects.filter(run=advancement, outcome="advanced").count()
    assert 14 <= advanced < call.applications.count()
    # Presentation reviews, each by a reviewer who signed the pledge and declared no conflict.
    reviews = Review.objects.filter(assignment__stage=presentation, state=Review.State.SUBMITTED)
    assert reviews.count() >= 3 * advanced
    for review in reviews.select_related("assignment__reviewer"):
        assert Pledge.objects.filter(reviewer=review.assignment.reviewer, call=call).exists()
        assert NoConflictDeclaration.objects.filter(assignment=review.assignment).exists()
    run = SelectionRun.objects.get(call=call)
    assert run.confirmed_at is not None and run.confirmed_by.email == "staff@gongmo.example"
    assert run.results.filter(outcome="selected").count() == 14
    # Selected, or gone on to their agreement (the demo projects).
    signed = call.applications.filter(award__project__isnull=False).count()
    assert call.applications.filter(state=ApplicationState.SELECTED).count() + signed == 14
    transitions = list(StateLog.objects.for_(call).order_by("pk").values_list("transition", flat=True))
    assert transitions == [
        "publish",
        "start_evaluation",
        "publish_results",
        "publish_public_results",
        "close",
    ]
    # The results on the call's public page: the 14 selected, by title and lead, per field.
    notice = call.results_notices.get()
    assert notice.entries.count() == 14
    assert notice.listing == "titles_and_organisations"
    # Every application's moves are logged, from submission on.
    application = call.applications.order_by("reference").first()
    # In the order they happened (no order is PostgreSQL's heap order, which reuses space).
    moves = list(
        StateLog.objects.for_(application).order_by("timestamp", "pk").values_list("transition", flat=True)
    )
    assert moves[:3] == ["submit", "confirm_eligible", "open_review"]


def test_the_review_demo_call_is_in_evaluation_with_the_demo_reviewer_assigned():
    from evaluation.models import EvaluationPlan

    call = Call.objects.get(slug="pilot-city-review-demo")
    assert call.state == CallState.EVALUATION
    assert not call.is_receiving()
    plan = EvaluationPlan.objects.get(call=call)
    document, presentation = plan.stages.order_by("position")
    assert presentation.kind == "presentation"
    panel = Panel.objects.get(call=call, stage=document)
    # Large enough to assign: at least the reviews per application and a reviewer to spare.
    assert panel.reviewers.count() >= document.reviews_per_application + 1
    assert Panel.objects.filter(call=call, stage=presentation).exists()
    # The presentation stage has its time slots ready (evaluation.scheduling.demo_slots).
    from evaluation.models import Slot

    assert Slot.objects.filter(stage=presentation).exists()
    reviewer = User.objects.get(email="reviewer@gongmo.example")
    mine = Assignment.objects.filter(application__call=call, reviewer__user=reviewer, state="active")
    assert mine.exists()
    # The demo reviewer has not signed the pledge yet: the first day starts with it.
    assert not Pledge.objects.filter(call=call, reviewer__user=reviewer).exists()
    assert not Review.objects.filter(assignment__in=mine, state=Review.State.SUBMITTED).exists()
    # The other reviewers have scored: staff can close the review once the minimum is met.
    others = Review.objects.filter(assignment__application__call=call, state=Review.State.SUBMITTED)
    assert others.exists()


def test_demo_staff_can_open_the_stages_and_selection_pages(client):
    client.force_login(User.objects.get(email="staff@gongmo.example"))
    for slug in ("pilot-city-review-demo", "pilot-city-2022"):
        for url in (f"/staff/calls/{slug}/stages/", f"/staff/calls/{slug}/selection/"):
            response = client.get(url)
            assert response.status_code == 200, url


def test_demo_organisations_have_korean_names():
    owned = Organisation.objects.get(memberships__user__email="applicant@gongmo.example")
    assert owned.name.startswith("해운대스마트모빌리티(주) (")
    applicants = Organisation.objects.filter(led_applications__call__slug="pilot-city-2022").distinct()
    assert applicants.exists()
    for organisation in applicants:
        assert "(주) (" in organisation.name, organisation.name


def test_the_pilot_calls_projects_were_paid_spent_reported_and_one_settled():
    from projects.models import DisbursementEntry, Expenditure, Project, Report

    projects = Project.objects.filter(award__application__call__slug="pilot-city-2022")
    assert projects.count() == 3
    for project in projects:
        assert DisbursementEntry.objects.filter(project=project, kind="payment").count() == 2
        assert Expenditure.objects.filter(project=project, state="approved").count() == 2
        kinds = set(Report.objects.filter(project=project, status="accepted").values_list("kind", flat=True))
        assert kinds == {Report.Kind.PROGRESS, Report.Kind.ANNUAL, Report.Kind.FINAL}
        assert list(project.years.values_list("number", flat=True)) == [1, 2]
        assert DisbursementEntry.objects.filter(project=project, year__number=2).count() == 1
    assert projects.filter(state="closed").count() == 1
    closed = projects.get(state="closed")
    settlement = closed.settlements.get()
    assert sum(line.to_recover for line in settlement.lines.all()) == settlement.to_recover


def test_the_first_day_journeys_of_the_call_in_evaluation_are_walked_from_the_pages(client):
    """Without the admin: the demo reviewer finds the assignments and is asked for the pledge;
    staff close the document review, record and confirm the advancement, and assign the
    presentation panel, each from its page."""
    from evaluation.models import AdvancementRun
    from projects.models import ApplicationState

    call = Call.objects.get(slug="pilot-city-review-demo")
    reviewer = User.objects.get(email="reviewer@gongmo.example")
    client.force_login(reviewer)
    assert client.get("/review/").status_code == 200
    mine = Assignment.objects.filter(application__call=call, reviewer__user=reviewer).first()
    form = client.get(f"/review/{mine.pk}/")
    assert form.status_code == 200
    assert form.context["pledge_signed"] is False  # the pledge comes first

    client.force_login(User.objects.get(email="staff@gongmo.example"))
    document, presentation = call.evaluation_plan.stages.order_by("position")
    assert client.post(f"/staff/calls/{call.slug}/evaluation/close/").status_code == 302
    assert not call.applications.filter(state=ApplicationState.UNDER_REVIEW).exists()
    stages_url = f"/staff/calls/{call.slug}/stages/"
    assert client.post(stages_url, {"action": "record", "stage": document.pk}).status_code == 302
    run = AdvancementRun.objects.get(stage=document)
    assert client.post(stages_url, {"action": "confirm", "run": run.pk}).status_code == 302
    run.refresh_from_db()
    assert run.confirmed_at is not None
    assert client.post(f"/staff/calls/{call.slug}/evaluation/assign/").status_code == 302
    assert Assignment.objects.filter(application__call=call, stage=presentation).exists()
