"""Concurrent submissions and draft saves on PostgreSQL: no lost updates, one reference each."""

import threading

from django.db import connection
from django.utils import translation

from competitions.lifecycle import TransitionRefused
from projects import workflow
from projects.models import Application, ApplicationState
from tests.factories import ApplicationFactory
from tests.projects.conftest import attach


def race(functions):
    """Run each function in its own thread and connection, released together; return outcomes."""
    barrier = threading.Barrier(len(functions))
    outcomes = [None] * len(functions)

    def run(index, function):
        try:
            barrier.wait()
            with translation.override("en"):  # the active language is per thread
                outcomes[index] = ("ok", function())
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test inspects
            outcomes[index] = ("error", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def complete_draft(call, organisation, applicant):
    application = ApplicationFactory(call=call, lead=organisation, created_by=applicant)
    attach(application, "proposal", applicant)
    attach(application, "business_registration", applicant)
    return application


def test_two_concurrent_submits_make_one_submission(draft, applicant):
    outcomes = race([lambda: workflow.submit(draft, by=applicant)] * 2)
    kinds = sorted(kind for kind, _value in outcomes)
    assert kinds == ["error", "ok"]
    error = next(value for kind, value in outcomes if kind == "error")
    assert isinstance(error, TransitionRefused)
    assert error.reasons == ["This application was already submitted as PC26-0001."]
    stored = Application.objects.get(pk=draft.pk)
    assert (stored.state, stored.reference) == (ApplicationState.SUBMITTED, "PC26-0001")


def test_concurrent_submissions_in_one_call_get_unique_sequential_references(
    open_call, organisation, applicant
):
    drafts = [complete_draft(open_call, organisation, applicant) for _ in range(8)]
    outcomes = race([lambda d=d: workflow.submit(d, by=applicant) for d in drafts])
    assert all(kind == "ok" for kind, _value in outcomes), outcomes
    references = sorted(Application.objects.filter(call=open_call).values_list("reference", flat=True))
    assert references == [f"PC26-{n:04d}" for n in range(1, 9)]


def test_two_tabs_saving_the_same_draft_at_once_one_conflicts(draft, applicant):
    version = draft.version
    outcomes = race(
        [
            lambda: workflow.save_draft(draft, {"title": "Tab A"}, by=applicant, expected_version=version),
            lambda: workflow.save_draft(draft, {"title": "Tab B"}, by=applicant, expected_version=version),
        ]
    )
    errors = [value for kind, value in outcomes if kind == "error"]
    assert len(errors) == 1 and isinstance(errors[0], workflow.EditConflict)
    stored = Application.objects.get(pk=draft.pk)
    assert stored.version == version + 1
    assert stored.title in {"Tab A", "Tab B"}
