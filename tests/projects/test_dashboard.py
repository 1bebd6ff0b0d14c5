"""The applicant's dashboard (/me/): time left, next steps, projects with money from the ledger,
never another organisation's data, constant queries at two sizes, Korean amounts and times."""

from datetime import date, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from competitions.models import CallState
from projects import ledger
from projects.dashboard import duration_words, end_of_day, next_step, time_left
from projects.ledger_figures import money_per_call, with_money
from projects.models import Application, ApplicationState, Project
from tests.factories import ApplicationFactory, CallFactory, OrganisationFactory, StaffFactory, TrackFactory

from .test_money_pages import make_project

pytestmark = pytest.mark.django_db
M = 1_000_000


@pytest.fixture
def staff(role_groups):
    return StaffFactory()


def at(**delta):
    return timezone.now() + timedelta(**delta)


# --- Time left -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("delta", "words"),
    [
        (timedelta(days=3, hours=4, minutes=30), "3 days 4 hours"),
        (timedelta(days=1), "1 day"),
        (timedelta(hours=5, minutes=20), "5 hours 20 minutes"),
        (timedelta(minutes=12, seconds=59), "12 minutes"),
        (timedelta(seconds=20), "0 minutes"),
    ],
)
def test_duration_words_keep_the_two_largest_units(delta, words):
    assert duration_words(delta) == words


def test_time_left_before_and_after_the_deadline():
    now = timezone.now()
    assert time_left(now + timedelta(days=3, hours=4), now) == "in 3 days 4 hours"
    assert time_left(now - timedelta(hours=2), now) == "2 hours ago"
    with translation.override("ko"):
        korean = time_left(now + timedelta(days=3, hours=4), now)
    assert "3" in korean and "4" in korean


def test_a_due_date_lasts_until_midnight_in_seoul():
    deadline = end_of_day(date(2026, 3, 31))
    assert deadline.isoformat() == "2026-04-01T00:00:00+09:00"
    assert deadline == datetime.fromisoformat("2026-03-31T15:00:00+00:00")


# --- Next step -------------------------------------------------------------------------------


def test_next_step_for_a_draft_follows_the_reception_window(draft):
    now = timezone.now()
    step = next_step(draft, now)
    assert step.action_needed and "submit before" in step.text
    assert "(KST)" in step.text or "KST" in step.text
    closed = next_step(draft, draft.call.closes_at + timedelta(seconds=1))
    assert not closed.action_needed and "closed" in closed.text
    early = next_step(draft, draft.call.opens_at - timedelta(days=1))
    assert "Reception opens" in early.text


def test_next_step_after_submission_selection_and_refusal(draft):
    now = timezone.now()
    Application.objects.filter(pk=draft.pk).update(state=ApplicationState.SUBMITTED)
    assert "checks eligibility" in next_step(Application.objects.get(pk=draft.pk), now).text
    Application.objects.filter(pk=draft.pk).update(state=ApplicationState.SELECTED)
    selected = next_step(Application.objects.get(pk=draft.pk), now)
    assert selected.action_needed and "Accept or decline" in selected.text
    Application.objects.filter(pk=draft.pk).update(accepted_at=now)
    assert not next_step(Application.objects.get(pk=draft.pk), now).action_needed
    Application.objects.filter(pk=draft.pk).update(state=ApplicationState.NOT_SELECTED, notified_at=now)
    objection = next_step(Application.objects.get(pk=draft.pk), now)
    assert objection.action_needed and "object" in objection.text
    assert (
        next_step(Application.objects.get(pk=draft.pk), now + timedelta(days=11)).text
        == "Nothing more to do."
    )


# --- The page --------------------------------------------------------------------------------


def test_dashboard_lists_applications_with_next_step_and_deadlines(client, draft, applicant):
    client.force_login(applicant)
    response = client.get(reverse("projects:dashboard"))
    page = response.content.decode()
    assert draft.title in page
    assert "Complete the documents and the self-check" in page
    assert "Your turn" in page
    (deadline,) = response.context["dashboard"].deadlines
    assert deadline.what == f"Reception closes: {draft.call.display_title}"
    assert deadline.left.startswith("in 6 days") or deadline.left.startswith("in 7 days")
    assert "Haeundae Smart Mobility" in page and "SME" in page


def test_projects_show_money_paid_and_still_to_report_from_the_ledger(client, draft, applicant, staff):
    project = make_project(draft, staff)
    ledger.post_payment(project, by=staff, amount=120 * M, paid_on=date(2026, 5, 10))
    client.force_login(applicant)
    response = client.get(reverse("projects:dashboard"))
    (row,) = response.context["dashboard"].projects
    assert (row.awarded, row.paid, row.approved, row.unaccounted) == (300 * M, 120 * M, 0, 120 * M)
    assert row.next_report_due == project.reports.order_by("due_on").first().due_on
    page = response.content.decode()
    assert "120,000,000 KRW" in page and "300,000,000 KRW" in page
    # The reports due are deadlines too.
    assert any(d.day == row.next_report_due for d in response.context["dashboard"].deadlines)


def test_korean_dashboard_reads_eok_and_man_and_seoul_time(client, draft, applicant, staff):
    project = make_project(draft, staff)  # its call's results are published: it no longer receives
    open_now = CallFactory(state=CallState.PUBLISHED)  # a call open now, with its closing time
    TrackFactory(call=open_now)
    ledger.post_payment(project, by=staff, amount=150 * M, paid_on=date(2026, 5, 10))
    client.force_login(applicant)
    page = client.get(reverse("projects:dashboard"), HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "300,000,000원 (3억 원)" in page
    assert "150,000,000원 (1억 5,000만 원)" in page
    assert "한국시간 " in page


def test_an_applicant_never_sees_another_organisations_data(client, draft, applicant, stranger, staff):
    make_project(draft, staff)
    client.force_login(stranger)
    response = client.get(reverse("projects:dashboard"))
    dashboard = response.context["dashboard"]
    assert dashboard.applications == [] and dashboard.projects == []
    assert [o.name for o in dashboard.organisations] == ["Other Company"]
    page = response.content.decode()
    assert draft.title not in page and "Haeundae Smart Mobility" not in page


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(reverse("projects:dashboard"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


@pytest.mark.parametrize("count", [2, 12])
def test_dashboard_queries_are_constant(
    client, open_call, organisation, applicant, staff, count, django_assert_max_num_queries
):
    for n in range(count):
        application = ApplicationFactory(call=open_call, lead=organisation, created_by=applicant)
        if n % 2:
            project = make_project(application, staff)
            ledger.post_payment(project, by=staff, amount=10 * M, paid_on=date(2026, 5, 10))
    client.force_login(applicant)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("projects:dashboard"))
    dashboard = response.context["dashboard"]
    assert len(dashboard.applications) == count
    assert len(dashboard.projects) == count // 2


# --- Money figures ---------------------------------------------------------------------------


def test_money_per_call_adds_awards_payments_reversals_recoveries_and_approved_spending(
    open_call, organisation, applicant, staff
):
    projects = [
        make_project(ApplicationFactory(call=open_call, lead=OrganisationFactory()), staff) for _n in range(2)
    ]
    first = ledger.post_payment(projects[0], by=staff, amount=100 * M, paid_on=date(2026, 5, 10))
    ledger.post_payment(projects[1], by=staff, amount=50 * M, paid_on=date(2026, 5, 10))
    ledger.reverse_entry(first, by=staff, reason="Wrong account")
    ledger.post_payment(projects[0], by=staff, amount=80 * M, paid_on=date(2026, 5, 11))
    figures = money_per_call([open_call.pk, 999_999])
    assert figures[open_call.pk].awarded == 600 * M
    assert figures[open_call.pk].paid == 130 * M
    assert figures[open_call.pk].spent == figures[open_call.pk].recovered == 0
    assert figures[999_999].awarded == 0
    annotated = {p.pk: p for p in with_money(Project.objects.all())}
    assert sum(p.paid for p in annotated.values()) == figures[open_call.pk].paid
