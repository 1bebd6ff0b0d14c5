"""One definition per rule (issue 13): "submitted" and "holds a place" each have one definition,
a queryset for the database and a function for Python, and every page and export counts with
it: the dashboards no longer count a draft withdrawn before it was submitted, as the workbook
never did."""

from io import BytesIO

import pytest
from django.utils import timezone

from audit.funding_workbook import write_funding_workbook
from competitions.models import CallState
from evaluation.dashboard import call_dashboard, call_summaries
from projects.models import Application, ApplicationState
from projects.models.application import holds_place, is_submitted
from tests.factories import ApplicationFactory, CallFactory, TrackFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def one_of_each(db):
    call = CallFactory(state=CallState.EVALUATION)
    TrackFactory(call=call)
    now = timezone.now()
    for n, state in enumerate(ApplicationState.values):
        submitted_at = None if state == ApplicationState.DRAFT else now
        ApplicationFactory(call=call, state=state, reference=f"D-{n:02d}", submitted_at=submitted_at)
    # A draft withdrawn before it was ever submitted.
    ApplicationFactory(call=call, state=ApplicationState.WITHDRAWN, reference="", submitted_at=None)
    return call


def test_the_queryset_and_the_function_agree(one_of_each):
    applications = list(Application.objects.filter(call=one_of_each))
    submitted = set(Application.objects.filter(call=one_of_each).submitted().values_list("pk", flat=True))
    holding = set(Application.objects.filter(call=one_of_each).holding_place().values_list("pk", flat=True))
    assert submitted == {a.pk for a in applications if is_submitted(a.state, a.submitted_at)}
    assert holding == {a.pk for a in applications if holds_place(a.state)}
    assert {Application.objects.get(pk=pk).state for pk in holding} == {"selected", "awarded"}
    assert len(submitted) == len(ApplicationState.values) - 1  # not the draft, not the withdrawn draft


def test_the_dashboards_and_the_workbook_count_the_same_submitted_applications(one_of_each):
    expected = len(ApplicationState.values) - 1
    assert call_dashboard(one_of_each).applications == expected
    assert call_summaries([one_of_each])[0].applications == expected
    summary = write_funding_workbook([one_of_each], BytesIO())
    assert summary["rows"]["Applications"] == expected
