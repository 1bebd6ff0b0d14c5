"""The workbook and the charts show each application's CURRENT outcome (issue 13, finding 6):
after a decline, a promotion, a signed agreement and a second run, the Applications sheet says
who declined and who holds the place, keeps the scores and rank of the run that ranked them,
the Runs sheet keeps every run, the places charts count the place taken, and the Checks sheet
evaluates the call's outcome invariants (FAIL on each broken state)."""

from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from audit.funding_workbook import write_funding_workbook
from evaluation import selection_runs
from evaluation.dashboard import call_dashboard
from evaluation.generate import generate, system_user
from projects import ledger
from projects.models import Application, ApplicationState, Membership
from tests.evaluation.conftest import evaluation_call
from tests.factories import UserFactory, signed_project

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(role_groups):
    return system_user()


def owner_of(application):
    owner = UserFactory()
    Membership.objects.create(user=owner, organisation=application.lead, role="owner")
    return owner


def export(calls):
    output = BytesIO()
    summary = write_funding_workbook(calls, output)
    output.seek(0)
    return summary, load_workbook(output)


def by_header(sheet):
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


@pytest.fixture
def story(staff):
    """Run 1 confirmed; in one field the first winner declines, the reserve is promoted and
    signs its agreement; then run 2 is recorded (it no longer ranks the one who declined)."""
    call = evaluation_call("current-2026", "CU26")
    generate(call, count=24, reviewers=8, seed=11, by=staff)
    run, results = selection_runs.run_selection(call, by=staff)
    selection_runs.confirm_run(run, by=staff)
    winner = next(r for r in results if r.outcome == "selected")
    reserve = next(r for r in results if r.outcome == "reserve" and r.field_id == winner.field_id)
    declined = Application.objects.get(pk=winner.application_id)
    promoted = selection_runs.decline(declined, by=owner_of(declined), reason="We cannot start.")
    assert promoted.pk == reserve.application_id
    ledger.accept_selection(promoted, by=owner_of(promoted))
    signed_project(promoted, by=staff)
    selection_runs.run_selection(call, by=staff)
    return {"call": call, "winner": winner, "reserve": reserve}


def test_the_applications_sheet_shows_current_outcomes_and_keeps_earlier_scores(story):
    call, winner, reserve = story["call"], story["winner"], story["reserve"]
    summary, book = export([call])
    rows = {row["Reference"]: row for row in by_header(book["Applications"])}
    declined = rows[winner.reference]
    assert (declined["Status"], declined["Outcome"], declined["Reason"]) == (
        "declined",
        "declined",
        "declined",
    )
    assert (declined["Rank"], declined["Run"]) == (winner.rank, 1)  # run 2 no longer ranks it
    assert str(declined["Final score"]) == str(winner.final_score)
    holder = rows[reserve.reference]
    assert (holder["Status"], holder["Outcome"], holder["Run"]) == ("awarded", "selected", 2)
    places = sum(r["Outcome"] == "selected" for r in rows.values() if r["Field"] == declined["Field"])
    assert places == 2  # the field's maximum, the awarded one included

    runs = by_header(book["Runs"])
    assert {r["Run"] for r in runs} == {1, 2}
    (first,) = [r for r in runs if r["Run"] == 1 and r["Reference"] == winner.reference]
    assert (first["Outcome"], first["Rank"]) == ("selected", winner.rank) and first["Confirmed at"]
    assert not [r for r in runs if r["Run"] == 2 and r["Reference"] == winner.reference]
    assert summary["passed"], [c for c in summary["checks"] if c["result"] == "FAIL"]


def test_the_places_charts_count_the_places_held_by_awarded_applications(client, story, staff):
    call, winner = story["call"], story["winner"]
    field = call.service_fields.get(pk=winner.field_id)
    # Both places of the field are now held by signed agreements, and nobody else of the field
    # is in the running (the others were found ineligible): a re-walk would find nobody there.
    other = Application.objects.get(call=call, service_field=field, state=ApplicationState.SELECTED)
    ledger.accept_selection(other, by=owner_of(other))
    signed_project(other, by=staff)
    Application.objects.filter(call=call, service_field=field).exclude(
        state__in=[ApplicationState.AWARDED, ApplicationState.DECLINED]
    ).update(state=ApplicationState.INELIGIBLE)
    assert (field.display_name, 2, 2) in call_dashboard(call).places
    client.force_login(staff)
    page = client.get(reverse("evaluation:selection", args=[call.slug])).content.decode()
    chart = page[page.index("<svg") : page.index("</svg>")]
    row = chart[chart.index(f"{field.display_name}</text>") :]
    assert row[: row.index("</g>")].endswith("2 / 2</text>")


def test_the_checks_sheet_fails_on_each_broken_outcome_invariant(story):
    call = story["call"]
    assert export([call])[0]["passed"]
    # Written past the domain functions, as a faulty import would.
    holder = Application.objects.filter(call=call, state=ApplicationState.SELECTED).first()
    Application.objects.filter(pk=holder.pk).update(requested_subsidy=call.budget_total)
    stray = Application.objects.create(  # selected, yet no confirmed run ever ranked it
        call=call,
        track=call.tracks.first(),
        lead=holder.lead,
        created_by=holder.created_by,
        title="Published without a run",
        reference="CU26-99999",
    )
    Application.objects.filter(pk=stray.pk).update(
        state=ApplicationState.SELECTED, submitted_at=holder.submitted_at
    )
    summary, _book = export([call])
    failed = {c["check"] for c in summary["checks"] if c["result"] == "FAIL"}
    assert (
        "current-2026: subsidy requested by the applications holding a place at most the budget (KRW)"
        in failed
    )
    assert "current-2026: applications with a published outcome but no result in a confirmed run" in failed
    assert "current-2026: places held at most the call's maximum" in failed
