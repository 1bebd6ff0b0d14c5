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
from projects.models import FiscalYear, Membership, Organisation

pytestmark = pytest.mark.django_db

SLUGS = {
    "pilot-city-2022",
    "innovation-tech-2022",
    "challenge-2022-preliminary",
    "challenge-2022-main",
    "pilot-city-demo",
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
    }


def test_seed_demo_is_idempotent():
    seed()
    first = snapshot()
    seed()
    assert snapshot() == first
    assert set(Call.objects.values_list("slug", flat=True)) == SLUGS


def test_pilot_city_2022_exact_numbers():
    seed()
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
    seed()
    call = Call.objects.get(slug="innovation-tech-2022")
    assert call.budget_total == 20_000_000_000
    assert list(call.tracks.order_by("position").values_list("name", "max_awards", "subsidy_cap")) == [
        ("Enterprise-led", 10, 1_500_000_000),
        ("Citizen-led living lab", 5, 1_000_000_000),
    ]


def test_challenge_main_is_stage_two_of_the_preliminary():
    seed()
    preliminary = Call.objects.get(slug="challenge-2022-preliminary")
    main = Call.objects.get(slug="challenge-2022-main")
    assert main.previous_stage == preliminary
    assert (preliminary.max_awards, preliminary.subsidy_max) == (4, 1_500_000_000)
    assert (main.max_awards, main.subsidy_max) == (2, 15_000_000_000)


def test_demo_call_is_open_now_and_copies_the_pilot_call():
    seed()
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
    seed()
    Call.objects.filter(slug="pilot-city-demo").update(
        opens_at=timezone.now() - timezone.timedelta(days=60),
        closes_at=timezone.now() - timezone.timedelta(days=1),
    )
    seed()
    assert Call.objects.get(slug="pilot-city-demo").is_receiving()


def test_the_2022_calls_went_through_logged_transitions():
    seed()
    call = Call.objects.get(slug="pilot-city-2022")
    transitions = list(StateLog.objects.for_(call).order_by("pk").values_list("transition", "by__email"))
    assert transitions == [
        ("publish", "staff@gongmo.example"),
        ("start_evaluation", "staff@gongmo.example"),
        ("publish_results", "staff@gongmo.example"),
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
    seed()
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
    seed()
    owned = Organisation.objects.get(memberships__user__email="applicant@gongmo.example")
    assert owned.size_class == "sme"
    assert "≤ 80 bn band for Information and communication" in owned.size_class_reason
    assert Organisation.objects.get(name="Hanbit Construction Corporation").size_class == "large"


def test_demo_evaluation_plans_add_up_to_100_and_the_reviewer_sits_on_the_demo_panel():
    from evaluation.models import EvaluationPlan, Panel

    seed()
    for plan in EvaluationPlan.objects.all():
        assert plan.criteria_problem() is None, plan.call.slug
    pilot = EvaluationPlan.objects.get(call__slug="pilot-city-2022")
    assert [c.name for c in pilot.criteria.all()][:2] == ["Innovation", "Feasibility"]
    assert pilot.top_criterion().name == "Innovation"
    assert set(pilot.bonus_rules.values_list("code", flat=True)) == {"sme-lead", "non-capital", "women-owned"}
    panel = Panel.objects.get(call__slug="pilot-city-demo")
    assert panel.reviewers.filter(user__email="reviewer@gongmo.example").exists()
