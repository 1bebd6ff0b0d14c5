"""Score sheets: what a preview ranks. They agree with every review read and scored by the
definition (whatever the method, thresholds and tie-break order, ties included), are written when
a review completes, and are computed again when something they depend on changes."""

import itertools
from decimal import Decimal

import pytest
from django.db.models import F

from evaluation import objections, score_sheets, selection_runs
from evaluation.generate import generate
from evaluation.models import (
    BonusAward,
    BonusRule,
    Criterion,
    EvaluationPlan,
    Objection,
    Review,
    Score,
    ScoreSheet,
)
from evaluation.score_sheets import candidates_for, check_sheets, plan_fingerprint, scoring_plan
from evaluation.scoring import TIE_BREAKS
from evaluation.selection import select
from projects.models import Application, ApplicationState, Organisation

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored(call, staff):
    return generate(call, count=60, reviewers=10, seed=7, by=staff)


def preview_and_definition(call):
    """(the preview's results, the definition's results: every review scored in Python)."""
    plan = EvaluationPlan.objects.get(call=call)
    scoring = scoring_plan(plan, list(plan.criteria.all()))
    results, _digest, _parameters = selection_runs.compute(call, with_hash=False)
    definition = select(candidates_for(call, scoring), scoring, selection_runs.quotas_for(call, plan))
    return results, definition


def force_ties(applications):
    """Make groups of applications equal on the final score, then on each tie-break in turn: the
    order must then come from the later tie-breaks and finally the application id."""
    first, *others = sorted(applications, key=lambda a: a.pk)[:12]
    source = {
        r.assignment.reviewer_id: r
        for r in Review.objects.filter(application=first).select_related("assignment")
    }
    totals = sorted(r.total for r in source.values())
    top = Criterion.objects.filter(plan__call=first.call).order_by("-max_points", "position", "pk").first()
    top_points = sorted(
        Score.objects.filter(review__application=first, criterion=top).values_list("points", flat=True)
    )
    for n, application in enumerate(others):
        # Same reviewer totals (so the same evaluation score) for all; the top criterion equal
        # for the first eight only; equal requests and moments in smaller groups.
        for review, total in zip(
            Review.objects.filter(application=application).order_by("pk"), totals, strict=False
        ):
            review.total = total
            review.save(update_fields=["total"])
        if n < 8:
            for points, value in zip(
                Score.objects.filter(review__application=application, criterion=top).order_by("review_id"),
                top_points,
                strict=False,
            ):
                points.points = value
                points.save(update_fields=["points"])
        Application.objects.filter(pk=application.pk).update(
            requested_subsidy=first.requested_subsidy if n < 6 else F("requested_subsidy"),
            submitted_at=first.submitted_at if n < 4 else F("submitted_at"),
            reference=first.reference + f"-{n % 2}" if n < 2 else F("reference"),
        )
        Organisation.objects.filter(pk=application.lead_id).update(size_class="sme" if n % 3 else "mid_sized")
    ScoreSheet.objects.update(plan_fingerprint="")  # the reviews were changed behind its back


@pytest.mark.parametrize("method", ["trimmed_mean", "mean", "median"])
@pytest.mark.parametrize("with_threshold", [False, True])
def test_a_preview_gives_the_results_of_reading_every_review(call, staff, scored, method, with_threshold):
    EvaluationPlan.objects.filter(call=call).update(aggregation=method, trim_at=5)
    if with_threshold:
        criterion = Criterion.objects.filter(plan__call=call).order_by("max_points", "pk").first()
        criterion.threshold = criterion.max_points * Decimal("0.75")
        criterion.save()
    force_ties(scored)
    results, definition = preview_and_definition(call)
    assert results == definition
    assert any(r.outcome == "selected" for r in results) and any(r.outcome == "below_cutoff" for r in results)
    finals = [r.final_score for r in results if r.rank]
    assert len(finals) > len(set(finals)), "the data must hold ties for the tie-breaks to decide"


@pytest.mark.parametrize("order", list(itertools.permutations(TIE_BREAKS, 2)) + [(), TIE_BREAKS[::-1]])
def test_the_database_ranks_ties_as_the_definition_does(call, staff, scored, order):
    EvaluationPlan.objects.filter(call=call).update(tie_breaks=list(order))
    force_ties(scored)
    results, definition = preview_and_definition(call)
    assert [(r.application_id, r.rank, r.outcome, r.reason) for r in results] == [
        (r.application_id, r.rank, r.outcome, r.reason) for r in definition
    ]


def test_sheets_are_written_when_the_review_completes(call, staff, scored):
    plan = EvaluationPlan.objects.get(call=call)
    scoring = scoring_plan(plan, list(plan.criteria.all()))
    sheets = ScoreSheet.objects.filter(application__call=call)
    assert (
        sheets.count() == Application.objects.filter(call=call, state=ApplicationState.SCORED).count() == 60
    )
    assert set(sheets.values_list("plan_fingerprint", flat=True)) == {plan_fingerprint(plan, scoring)}
    assert check_sheets(call, plan, scoring) == []  # every sheet agrees with its reviews


@pytest.mark.parametrize("batch", [500, 7])  # the stale ids in batches; more than a batch: the whole call
def test_a_changed_plan_is_noticed_and_the_sheets_computed_again(call, staff, scored, batch, monkeypatch):
    monkeypatch.setattr(score_sheets, "_BATCH", batch)
    before, _ = preview_and_definition(call)
    EvaluationPlan.objects.filter(call=call).update(cutoff=Decimal("80.00"), aggregation="mean")
    after, definition = preview_and_definition(call)
    assert after == definition and after != before
    plan = EvaluationPlan.objects.get(call=call)
    fingerprint = plan_fingerprint(plan, scoring_plan(plan, list(plan.criteria.all())))
    assert set(ScoreSheet.objects.values_list("plan_fingerprint", flat=True)) == {fingerprint}


def test_a_bonus_granted_or_its_points_changed_reaches_the_preview(call, staff, scored):
    rule = BonusRule.objects.filter(plan__call=call).first()
    application = next(a for a in scored if not BonusAward.objects.filter(application=a, rule=rule).exists())
    before = ScoreSheet.objects.get(application=application)
    BonusAward.objects.create(application=application, rule=rule, evidence="certificate", granted_by=staff)
    # Computed again at once (as when a review completes), so a preview only places it.
    plan = EvaluationPlan.objects.get(call=call)
    sheet = ScoreSheet.objects.get(application=application)
    assert sheet.plan_fingerprint == plan_fingerprint(plan, scoring_plan(plan, list(plan.criteria.all())))
    assert sheet.bonus == min(before.bonus + rule.points, plan.bonus_cap)
    results, definition = preview_and_definition(call)
    assert results == definition
    BonusRule.objects.filter(pk=rule.pk).update(points=rule.points + 1)
    results, definition = preview_and_definition(call)
    assert results == definition
    bonus = next(r.bonus for r in results if r.application_id == application.pk)
    assert bonus == min(
        rule.points
        + 1
        + sum(a.rule.points for a in BonusAward.objects.filter(application=application).exclude(rule=rule)),
        EvaluationPlan.objects.get(call=call).bonus_cap,
    )


def test_a_recorded_run_rewrites_a_sheet_that_disagrees_with_its_reviews(call, staff, scored):
    victim = scored[0]
    ScoreSheet.objects.filter(application=victim).update(
        final_score=Decimal("1.00"), evaluation_score=Decimal("1.00")
    )
    _run, results = selection_runs.run_selection(call, by=staff)
    sheet = ScoreSheet.objects.get(application=victim)
    assert (
        sheet.final_score
        == next(r.final_score for r in results if r.application_id == victim.pk)
        != Decimal("1.00")
    )
    preview, _definition = preview_and_definition(call)
    assert preview == results


def test_an_upheld_objection_marks_the_sheet_stale_until_the_re_review_completes(call, staff, scored):
    run, _results = selection_runs.run_selection(call, by=staff)
    selection_runs.confirm_run(run, by=staff)
    application = Application.objects.filter(call=call, state=ApplicationState.NOT_SELECTED).first()
    objection = Objection.objects.create(
        application=application, grounds="The reviewers misread the budget.", filed_by=staff
    )
    objections.decide_objection(objection, by=staff, uphold=True, decision="Re-review.")
    assert ScoreSheet.objects.get(application=application).plan_fingerprint == ""
    results, _definition = preview_and_definition(call)
    assert application.pk not in {r.application_id for r in results}  # under review again


def test_staff_grant_a_bonus_in_the_admin_and_the_preview_counts_it(client, call, staff, scored, role_groups):
    from django.urls import reverse

    from tests.factories import StaffFactory

    officer = StaffFactory()
    client.force_login(officer)
    rule = BonusRule.objects.filter(plan__call=call).first()
    BonusRule.objects.filter(pk=rule.pk).update(evidence_required=True)
    application = next(a for a in scored if not BonusAward.objects.filter(application=a, rule=rule).exists())
    url = reverse("admin:evaluation_bonusaward_add")
    missing = client.post(url, {"application": application.pk, "rule": rule.pk, "evidence": " "})
    assert missing.status_code == 200 and "This bonus needs its evidence." in missing.content.decode()
    assert not BonusAward.objects.filter(application=application, rule=rule).exists()

    response = client.post(
        url, {"application": application.pk, "rule": rule.pk, "evidence": "Certificate no. 12"}
    )
    assert response.status_code == 302
    award = BonusAward.objects.get(application=application, rule=rule)
    assert award.granted_by == officer and award.evidence == "Certificate no. 12"
    results, definition = preview_and_definition(call)
    assert results == definition
    assert next(r.bonus for r in results if r.application_id == application.pk) > 0
    # A grant is on the record: not deleted from the admin.
    assert (
        client.post(
            reverse("admin:evaluation_bonusaward_delete", args=[award.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert BonusAward.objects.filter(pk=award.pk).exists()


def test_the_admin_refuses_a_bonus_rule_of_another_call(client, call, staff, scored, role_groups):
    from django.urls import reverse

    from tests.factories import CallFactory, StaffFactory

    other = BonusRule.objects.create(
        plan=EvaluationPlan.objects.create(call=CallFactory(slug="another-call", reference_prefix="AC26")),
        code="other",
        label="Other call",
        points=Decimal("1"),
        evidence_required=False,
    )
    client.force_login(StaffFactory())
    response = client.post(
        reverse("admin:evaluation_bonusaward_add"),
        {"application": scored[0].pk, "rule": other.pk, "evidence": "x"},
    )
    assert "This bonus rule belongs to another call&#x27;s evaluation plan." in response.content.decode()
    assert not BonusAward.objects.filter(rule=other).exists()


def test_the_admin_no_longer_changes_the_reviewers_of_a_completed_review(
    client, call, staff, scored, role_groups
):
    from django.urls import reverse

    from evaluation.models import Assignment
    from tests.factories import StaffFactory

    client.force_login(StaffFactory())
    assignment = Assignment.objects.filter(application=scored[0], state=Assignment.State.ACTIVE).first()
    response = client.post(
        reverse("admin:evaluation_assignment_change", args=[assignment.pk]),
        {
            "application": assignment.application_id,
            "reviewer": assignment.reviewer_id,
            "state": Assignment.State.PAST,
            "recusal_reason": "",
        },
    )
    assert f"The review of {scored[0].reference} is closed; its reviewers can no longer change." in (
        response.content.decode()
    )
    assert Assignment.objects.get(pk=assignment.pk).state == Assignment.State.ACTIVE
