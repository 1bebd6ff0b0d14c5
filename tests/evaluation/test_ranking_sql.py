"""The ranking exists twice: in Python (``evaluation.scoring``'s sort key, what a recorded run
uses) and in SQL (``evaluation.score_sheets``' ORDER BY, what a preview reads). On random score
sheets — ties on every value, missing scores and submission times, references in any order, any
tie-break order — the database orders the applications exactly as the Python definition does."""

import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evaluation.kept_ranking import placed
from evaluation.models import EvaluationPlan, ScoreSheet
from evaluation.score_sheets import _ranked_rows, plan_fingerprint, ranking_of, row_key, scoring_plan
from evaluation.scoring import TIE_BREAKS, Candidate, _key_builder
from evaluation.selection import _below_key
from projects.models import Application, ApplicationState, Organisation
from tests.factories import ApplicationFactory, OrganisationFactory

pytestmark = pytest.mark.django_db
COUNT = 10
MOMENT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

scores = st.one_of(st.none(), st.sampled_from([Decimal(v) for v in ("70.00", "81.50", "81.55", "95.00")]))
rows = st.fixed_dictionaries(
    {
        "final": scores,
        "top": scores,
        "below": st.booleans(),
        "subsidy": st.sampled_from([50_000_000, 120_000_000, 300_000_000]),
        "submitted": st.one_of(
            st.none(), st.sampled_from([timedelta(0), timedelta(seconds=1), timedelta(hours=2)])
        ),
        "sme": st.booleans(),
    }
)
examples = st.tuples(
    st.lists(rows, min_size=COUNT, max_size=COUNT),
    st.permutations([f"R-{n:02d}" for n in range(COUNT)]),
    st.lists(st.sampled_from(TIE_BREAKS), unique=True),
    st.lists(st.booleans(), min_size=COUNT, max_size=COUNT),  # changed, for a kept ranking to place
)


@pytest.fixture
def sheets(call):
    plan = EvaluationPlan.objects.get(call=call)
    applications = [
        ApplicationFactory(
            call=call,
            track=call.tracks.first(),
            service_field=call.service_fields.first(),
            lead=OrganisationFactory(),
            state=ApplicationState.SCORED,
            reference=f"TMP-{n:02d}",
        )
        for n in range(COUNT)
    ]
    now = timezone.now()
    ScoreSheet.objects.bulk_create(
        ScoreSheet(
            application=a,
            reviews=5,
            bonus=Decimal(0),
            below_cutoff=False,
            plan_fingerprint="",
            computed_at=now,
        )
        for a in applications
    )
    return plan, applications


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(example=examples)
def test_the_sql_ranking_is_the_python_definition(call, sheets, example):
    plan, applications = sheets
    values, references, tie_breaks, changed = example
    scoring = dataclasses.replace(scoring_plan(plan, list(plan.criteria.all())), tie_breaks=tuple(tie_breaks))
    fingerprint = plan_fingerprint(plan, scoring)
    candidates, above, below = {}, [], []
    # Free the references first: they are unique in a call.
    Application.objects.filter(pk__in=[a.pk for a in applications]).update(reference="")
    for application, value, reference in zip(applications, values, references, strict=True):
        submitted = None if value["submitted"] is None else MOMENT + value["submitted"]
        Application.objects.filter(pk=application.pk).update(
            reference=reference, requested_subsidy=value["subsidy"], submitted_at=submitted
        )
        Organisation.objects.filter(pk=application.lead_id).update(
            size_class="sme" if value["sme"] else "mid"
        )
        ScoreSheet.objects.filter(application=application).update(
            final_score=value["final"],
            evaluation_score=value["final"],
            top_criterion_score=value["top"],
            below_cutoff=value["below"],
            plan_fingerprint=fingerprint,
        )
        candidate = Candidate(
            application_id=application.pk,
            reference=reference,
            track_id=application.track_id,
            field_id=application.service_field_id,
            requested_subsidy=value["subsidy"],
            reviewer_totals=(),
            lead_is_sme=value["sme"],
            submitted_at=submitted,
        )
        candidates[application.pk] = candidate
        (below if value["below"] else above).append((value["final"], value["top"], candidate))

    key = _key_builder(tuple(tie_breaks))
    definition = [c.application_id for _f, _t, c in sorted(above, key=lambda e: key(*e))] + [
        c.application_id for _f, _t, c in sorted(below, key=lambda e: _below_key(e[0], e[2]))
    ]
    rows = _ranked_rows(call, scoring, fingerprint)
    assert [row[0] for row in rows] == definition

    # The same order in Python (score_sheets.row_key), from a ranking's rows and tie values: a
    # kept ranking places changed applications by it (kept_ranking.placed).
    ranking = ranking_of(rows)
    above_key, below_key = row_key(tuple(tie_breaks))
    assert sorted(zip(ranking.above, ranking.ties, strict=True), key=lambda e: above_key(*e)) == list(
        zip(ranking.above, ranking.ties, strict=True)
    )
    assert sorted(ranking.below, key=below_key) == ranking.below
    named = {a.pk for a, is_changed in zip(applications, changed, strict=True) if is_changed}
    changed_rows = [row for row in reversed(rows) if row[0] in named]  # in no particular order
    assert placed(ranking, named, ranking_of(changed_rows), tuple(tie_breaks)) == ranking
