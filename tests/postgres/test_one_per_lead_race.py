"""Two starts at once by the same organisation in a call that takes one application per lead:
the call row lock serializes them, one draft is created and the other is refused."""

from competitions.lifecycle import TransitionRefused
from competitions.models import Call
from projects import workflow
from projects.models import Application
from tests.postgres.test_concurrency import race


def test_two_concurrent_starts_by_the_same_lead_give_one_draft(open_call, organisation, applicant):
    Call.objects.filter(pk=open_call.pk).update(one_application_per_lead=True)
    call = Call.objects.get(pk=open_call.pk)
    track = call.tracks.first()

    def start(title):
        return lambda: workflow.start_application(
            call, lead=organisation, track=track, title=title, by=applicant
        )

    outcomes = race([start("Tab one"), start("Tab two")])
    kinds = sorted(kind for kind, _value in outcomes)
    assert kinds == ["error", "ok"], outcomes
    [error] = [value for kind, value in outcomes if kind == "error"]
    assert isinstance(error, TransitionRefused)
    assert "one application per lead organisation" in str(error)
    assert Application.objects.filter(call=call, lead=organisation).count() == 1
