"""Beat, every minute: published calls whose reception window has ended move into evaluation
through the lifecycle entry point, logged with the system account and the reason; idempotent."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_fsm_log.models import StateLog

from accounts.system import SYSTEM_EMAIL
from competitions import tasks
from competitions.lifecycle import close_ended_receptions
from competitions.models import Call, CallState
from tests.factories import CallFactory, TrackFactory

pytestmark = pytest.mark.django_db


def make_call(state, closes_in):
    now = timezone.now()
    call = CallFactory(state=state, opens_at=now - timedelta(days=20), closes_at=now + closes_in)
    TrackFactory(call=call)
    return call


def test_ended_windows_move_into_evaluation_logged_by_the_system(role_groups):
    ended = make_call(CallState.PUBLISHED, -timedelta(seconds=1))
    still_open = make_call(CallState.PUBLISHED, timedelta(minutes=5))
    draft = make_call(CallState.DRAFT, -timedelta(days=1))
    assert close_ended_receptions() == [ended.slug]
    states = dict(Call.objects.values_list("pk", "state"))
    assert states == {
        ended.pk: CallState.EVALUATION,
        still_open.pk: CallState.PUBLISHED,
        draft.pk: CallState.DRAFT,
    }
    log = StateLog.objects.for_(ended).get()
    assert (log.source_state, log.state, log.transition) == ("published", "evaluation", "start_evaluation")
    assert log.by.email == SYSTEM_EMAIL
    assert log.description.startswith("Reception closed automatically: the window ended at ")
    assert log.description.endswith(" KST.")
    assert not StateLog.objects.for_(still_open).exists()


def test_running_twice_changes_nothing_more(role_groups):
    ended = make_call(CallState.PUBLISHED, -timedelta(hours=1))
    assert tasks.close_ended_receptions.delay().get() == [ended.slug]
    assert tasks.close_ended_receptions.delay().get() == []
    assert StateLog.objects.for_(ended).count() == 1


def test_the_window_is_read_at_the_given_time(role_groups):
    call = make_call(CallState.PUBLISHED, timedelta(minutes=5))
    assert close_ended_receptions(now=timezone.now()) == []
    assert Call.objects.get(pk=call.pk).state == CallState.PUBLISHED
    # a beat whose clock says the window has ended still leaves the transition's own guard in
    # charge (it reads the real clock): nothing moves before the window really ends
    assert close_ended_receptions(now=timezone.now() + timedelta(minutes=10)) == []
    assert Call.objects.get(pk=call.pk).state == CallState.PUBLISHED


def test_the_beat_schedule_runs_it_every_minute(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["close-ended-receptions"]
    assert entry == {"task": "competitions.tasks.close_ended_receptions", "schedule": 60.0}
