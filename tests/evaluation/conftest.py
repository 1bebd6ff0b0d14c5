from datetime import timedelta

import pytest
from django.utils import timezone

from competitions.models import CallState
from evaluation.generate import ensure_plan, system_user
from evaluation.models import Panel, Reviewer
from projects.models import Application, ApplicationState
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    OrganisationFactory,
    ServiceFieldFactory,
    TrackFactory,
    UserFactory,
)
from tests.projects.conftest import _media_in_tmp  # noqa: F401


@pytest.fixture
def staff(role_groups):
    return system_user()


def evaluation_call(slug, reference_prefix):
    """A call in evaluation that closed 10 days ago: 4 awards in one SME-led track, two fields
    of 2, a 1 bn KRW budget, 50-300 M KRW a task, and the generator's evaluation plan."""
    now = timezone.now()
    call = CallFactory(
        slug=slug,
        reference_prefix=reference_prefix,
        state=CallState.EVALUATION,
        opens_at=now - timedelta(days=30),
        closes_at=now - timedelta(days=10),
        max_awards=4,
        budget_total=1_000_000_000,
        subsidy_min=50_000_000,
        subsidy_max=300_000_000,
    )
    TrackFactory(call=call, name="SME-led", max_awards=4)
    ServiceFieldFactory(call=call, name="Mobility", max_awards=2)
    ServiceFieldFactory(call=call, name="Safety", max_awards=2)
    ensure_plan(call)
    return call


@pytest.fixture
def call(db):
    return evaluation_call("pilot-eval", "PE26")


def make_reviewers(call, count, prefix="rev"):
    panel, _created = Panel.objects.get_or_create(
        call=call, track=None, service_field=None, defaults={"name": "Panel"}
    )
    reviewers = []
    for n in range(count):
        user = UserFactory(email=f"{prefix}{n}@review.example", first_name="Minsu", last_name=f"Kim{n}")
        reviewers.append(
            Reviewer.objects.create(
                user=user, affiliation=OrganisationFactory(kind="university"), code=f"{prefix.upper()}{n:03d}"
            )
        )
    panel.reviewers.add(*reviewers)
    return reviewers


def eligible_applications(call, count, **extra):
    fields = list(call.service_fields.all())
    return [
        ApplicationFactory(
            call=call,
            track=call.tracks.first(),
            service_field=fields[n % len(fields)],
            state=ApplicationState.ELIGIBLE,
            reference=f"PE26-{Application.objects.filter(call=call).count() + 1:04d}",
            submitted_at=call.closes_at - timedelta(hours=n + 1),
            **extra,
        )
        for n in range(count)
    ]


@pytest.fixture
def assigned(call, staff):
    """Three eligible applications, seven reviewers, assigned (seed 2)."""
    from evaluation.assigning import assign_reviewers

    applications = eligible_applications(call, 3)
    make_reviewers(call, 7)
    assign_reviewers(call, by=staff, seed=2)
    return applications
