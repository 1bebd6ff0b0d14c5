"""The whole lifecycle, model-based (issue 13): see tests/stateful/machine.py.

`make test` runs a fixed, modest number of sequences on SQLite (and on PostgreSQL in CI);
`make stateful` runs many more (GONGMO_STATEFUL_EXAMPLES, GONGMO_STATEFUL_STEPS).
"""

import os

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from .machine import LifecycleMachine

EXAMPLES = int(os.environ.get("GONGMO_STATEFUL_EXAMPLES", "15"))
STEPS = int(os.environ.get("GONGMO_STATEFUL_STEPS", "30"))
# Shrinking a failing sequence to a minimal one takes minutes: `make stateful` does it, the
# suite reports the sequence as found.
SHRINK = os.environ.get("GONGMO_STATEFUL_SHRINK", "0") == "1"

LIFECYCLE = settings(
    max_examples=EXAMPLES,
    stateful_step_count=STEPS,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate, *([Phase.shrink] if SHRINK else [])],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    print_blob=False,
)


@pytest.fixture
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.mark.django_db
def test_every_guarantee_holds_on_every_path(role_groups, _media):
    run_state_machine_as_test(LifecycleMachine, settings=LIFECYCLE)
