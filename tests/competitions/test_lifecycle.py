"""Every Call lifecycle transition, allowed and refused, through the one domain function."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django_fsm_log.models import StateLog

from competitions.lifecycle import TransitionRefused, blockers_for, change_call_state
from competitions.models import Call, CallState
from tests.factories import CallFactory, TrackFactory, UserFactory

pytestmark = pytest.mark.django_db


def past_call(state=CallState.PUBLISHED):
    now = timezone.now()
    call = CallFactory(state=state, opens_at=now - timedelta(days=20), closes_at=now - timedelta(seconds=1))
    TrackFactory(call=call)
    return call


def test_publish_a_complete_draft_logs_who_when_and_why(draft_call, staff_user):
    call = change_call_state(draft_call, "publish", by=staff_user, reason="Announced on 24 Feb")
    assert call.state == CallState.PUBLISHED
    assert Call.objects.get(pk=draft_call.pk).state == CallState.PUBLISHED
    log = StateLog.objects.for_(call).get()
    assert (log.source_state, log.state, log.transition) == ("draft", "published", "publish")
    assert log.by == staff_user
    assert log.description == "Announced on 24 Feb"
    assert abs(log.timestamp - timezone.now()) < timedelta(minutes=1)


def test_publish_refused_without_a_track(staff_user):
    call = CallFactory()
    with pytest.raises(TransitionRefused) as refused:
        change_call_state(call, "publish", by=staff_user)
    assert refused.value.reasons == ["Add at least one track before publishing."]
    assert Call.objects.get(pk=call.pk).state == CallState.DRAFT
    assert not StateLog.objects.for_(call).exists()


def test_publish_refused_while_the_call_is_invalid_lists_the_reason(staff_user):
    call = CallFactory()
    TrackFactory(call=call)
    Call.objects.filter(pk=call.pk).update(subsidy_min=400_000_000)  # e.g. a bad import
    with pytest.raises(TransitionRefused) as refused:
        change_call_state(call, "publish", by=staff_user)
    assert refused.value.reasons == [
        "The minimum subsidy (400,000,000 KRW) cannot exceed the maximum subsidy (300,000,000 KRW)."
    ]
    assert Call.objects.get(pk=call.pk).state == CallState.DRAFT


def test_start_evaluation_refused_while_reception_is_open(staff_user):
    call = CallFactory(state=CallState.PUBLISHED)
    with pytest.raises(TransitionRefused) as refused:
        change_call_state(call, "start_evaluation", by=staff_user)
    assert refused.value.reasons[0].startswith("Reception is open until ")
    assert Call.objects.get(pk=call.pk).state == CallState.PUBLISHED


def test_the_whole_lifecycle_in_order(staff_user):
    call = past_call(CallState.PUBLISHED)
    for name, target in [
        ("start_evaluation", CallState.EVALUATION),
        ("publish_results", CallState.RESULTS_PUBLISHED),
        ("close", CallState.CLOSED),
    ]:
        call = change_call_state(call, name, by=staff_user)
        assert Call.objects.get(pk=call.pk).state == target
    assert list(StateLog.objects.for_(call).order_by("pk").values_list("transition", flat=True)) == [
        "start_evaluation",
        "publish_results",
        "close",
    ]


@pytest.mark.parametrize(
    ("state", "transition"),
    [
        (CallState.DRAFT, "start_evaluation"),
        (CallState.DRAFT, "publish_results"),
        (CallState.DRAFT, "close"),
        (CallState.PUBLISHED, "publish"),
        (CallState.PUBLISHED, "publish_results"),
        (CallState.PUBLISHED, "close"),
        (CallState.EVALUATION, "publish"),
        (CallState.EVALUATION, "start_evaluation"),
        (CallState.EVALUATION, "close"),
        (CallState.RESULTS_PUBLISHED, "publish"),
        (CallState.RESULTS_PUBLISHED, "start_evaluation"),
        (CallState.RESULTS_PUBLISHED, "publish_results"),
        (CallState.CLOSED, "publish"),
        (CallState.CLOSED, "start_evaluation"),
        (CallState.CLOSED, "publish_results"),
        (CallState.CLOSED, "close"),
    ],
)
def test_transitions_from_the_wrong_state_are_refused_and_change_nothing(staff_user, state, transition):
    call = past_call(state)
    with pytest.raises(TransitionRefused) as refused:
        change_call_state(call, transition, by=staff_user)
    assert "cannot" in refused.value.reasons[0]
    assert Call.objects.get(pk=call.pk).state == state
    assert not StateLog.objects.for_(call).exists()


def test_unknown_transition_is_refused(staff_user):
    call = past_call()
    assert blockers_for(call, "delete") == ["Unknown transition: delete."]


def test_applicants_may_not_change_call_state(role_groups, draft_call):
    with pytest.raises(PermissionDenied):
        change_call_state(draft_call, "publish", by=UserFactory())
    assert Call.objects.get(pk=draft_call.pk).state == CallState.DRAFT


def test_state_cannot_be_assigned_directly(draft_call):
    with pytest.raises(AttributeError):
        draft_call.state = CallState.CLOSED


def test_reception_status_to_the_second():
    call = CallFactory()
    assert call.reception_status(call.opens_at - timedelta(seconds=1)) == "upcoming"
    assert call.reception_status(call.opens_at) == "open"
    assert call.reception_status(call.closes_at) == "open"
    assert call.reception_status(call.closes_at + timedelta(seconds=1)) == "closed"


def test_only_published_calls_receive_applications():
    now = timezone.now()
    assert CallFactory(state=CallState.PUBLISHED).is_receiving(now)
    assert not CallFactory(state=CallState.DRAFT).is_receiving(now)
    assert not CallFactory(state=CallState.EVALUATION).is_receiving(now)
