"""Two selection runs started at the same moment on PostgreSQL serialize: numbers 1 and 2, the
same hash, nothing interleaved."""

from django.utils import timezone

from competitions.models import CallState
from evaluation import selection_runs
from evaluation.generate import generate, system_user
from evaluation.models import SelectionResult, SelectionRun
from tests.factories import CallFactory, ServiceFieldFactory, TrackFactory

from .test_concurrency import race


def test_concurrent_selection_runs_serialize(role_groups):
    now = timezone.now()
    call = CallFactory(
        state=CallState.EVALUATION,
        opens_at=now - timezone.timedelta(days=9),
        closes_at=now - timezone.timedelta(days=2),
        max_awards=4,
    )
    TrackFactory(call=call, max_awards=4)
    ServiceFieldFactory(call=call, max_awards=2)
    staff = system_user()
    generate(call, count=30, reviewers=8, seed=3, by=staff)
    outcomes = race([lambda: selection_runs.run_selection(call, by=staff)[0].number] * 2)
    assert sorted(value for _kind, value in outcomes) == [1, 2], outcomes
    runs = list(SelectionRun.objects.filter(call=call))
    assert len({run.inputs_hash for run in runs}) == 1
    assert SelectionResult.objects.filter(run__call=call).count() == 60
