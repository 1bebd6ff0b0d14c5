"""The funding workbook tells current reviews from superseded ones (round and superseded on
every score row) and holds the plan's criteria with their weights and the scoring settings, so
that every evaluation score and cutoff decision can be recomputed from the workbook alone: here
for a weighted plan (five criteria of 0–5 points × 4) with a re-reviewed application, by
arithmetic of its own (fractions, not evaluation.scoring)."""

from collections import defaultdict
from decimal import Decimal
from fractions import Fraction
from math import floor

import pytest
from openpyxl import load_workbook

from audit.funding_workbook import write_funding_workbook
from evaluation import objections, reviewing, selection_runs
from evaluation.generate import generate, system_user
from evaluation.models import Assignment, Criterion, Objection
from projects.models import Application, ApplicationState
from tests.evaluation.conftest import evaluation_call
from tests.factories import cleared_to_score

pytestmark = pytest.mark.django_db

CRITERIA = [  # name, Korean name, threshold (on the criterion's own 0-5 points)
    ("Innovation", "혁신성", None),
    ("Feasibility", "실현 가능성", Decimal("2.50")),
    ("Fit with the city", "도시 적합성", None),
    ("Potential to spread", "확산 가능성", None),
    ("Team capability", "수행 역량", None),
]
RE_REVIEW_POINTS = [  # the five round-2 reviews, one list of criterion points each
    [5, 4, 4, 3, 4],
    [4, 4, 3, 3, 3],
    [5, 5, 4, 4, 4],
    [3, 3, 3, 2, 3],
    [4, 4, 4, 4, 5],
]


@pytest.fixture
def staff(role_groups):
    return system_user()


@pytest.fixture
def weighted(staff, tmp_path, settings):
    """A call whose plan has five criteria of 0-5 points weighted 4 (a threshold on one), 16
    generated applications, a confirmed run, an upheld objection re-reviewed by five new
    reviewers, and a second recorded run."""
    settings.MEDIA_ROOT = tmp_path / "media"
    call = evaluation_call("weighted-2026", "WT26")
    plan = call.evaluation_plan
    plan.criteria.all().delete()
    Criterion.objects.bulk_create(
        Criterion(
            plan=plan,
            name=name,
            name_ko=name_ko,
            max_points=5,
            weight=4,
            threshold=threshold,
            position=position,
        )
        for position, (name, name_ko, threshold) in enumerate(CRITERIA)
    )
    generate(call, count=16, reviewers=12, seed=3, by=staff)
    run, _results = selection_runs.run_selection(call, by=staff)
    selection_runs.confirm_run(run, by=staff)
    application = (
        Application.objects.filter(call=call, state=ApplicationState.NOT_SELECTED)
        .order_by("reference")
        .first()
    )
    objection = Objection.objects.create(
        application=application, outcome=application.state, grounds="Misread.", filed_by=staff
    )
    objections.decide_objection(objection, by=staff, uphold=True, decision="Re-review.")
    criteria = list(Criterion.objects.filter(plan=plan))
    new = Assignment.objects.filter(application=application, state=Assignment.State.ACTIVE).order_by("pk")
    for assignment, points in zip(new, RE_REVIEW_POINTS, strict=True):
        entries = {c: (str(p), "") for c, p in zip(criteria, points, strict=True)}
        reviewing.save_review(cleared_to_score(assignment), entries, by=assignment.reviewer.user, submit=True)
    assert Application.objects.get(pk=application.pk).state == ApplicationState.SCORED
    second, _results = selection_runs.run_selection(call, by=staff)
    return {"call": call, "re_reviewed": application, "run": second}


def export(call, tmp_path, lang="en"):
    path = tmp_path / f"funding-{lang}.xlsx"
    summary = write_funding_workbook([call], path, lang=lang)
    return summary, load_workbook(path)


def by_header(sheet):
    rows = sheet.iter_rows(values_only=True)
    header = next(rows)
    return [dict(zip(header, row, strict=True)) for row in rows]


def test_scores_mark_the_superseded_round(weighted, tmp_path):
    summary, book = export(weighted["call"], tmp_path)
    reference = weighted["re_reviewed"].reference
    mine = [row for row in by_header(book["Scores"]) if row["Reference"] == reference]
    assert len(mine) == 2 * 5 * 5  # two rounds of five reviews of five criteria
    assert sorted({(row["Round"], row["Superseded"]) for row in mine}) == [(1, True), (2, False)]
    assert sum(row["Superseded"] for row in mine) == 25
    others = [row for row in by_header(book["Scores"]) if row["Reference"] != reference]
    assert {(row["Round"], row["Superseded"]) for row in others} == {(1, False)}
    # The Applications sheet counts the reviews that count, and the checks agree.
    (listed,) = [row for row in by_header(book["Applications"]) if row["Reference"] == reference]
    assert listed["Reviews"] == 5
    assert summary["passed"], [c for c in summary["checks"] if c["result"] == "FAIL"]


def test_the_criteria_and_the_scoring_settings_are_in_the_workbook(weighted, tmp_path):
    call = weighted["call"]
    plan = call.evaluation_plan
    _summary, book = export(call, tmp_path)
    assert [list(row.values()) for row in by_header(book["Criteria"])] == [
        ["weighted-2026", order, name, 5, 4, None if threshold is None else float(threshold), None]
        for order, (name, _ko, threshold) in enumerate(CRITERIA, 1)
    ]
    (settings,) = by_header(book["Calls"])
    assert (
        settings["Aggregation"],
        settings["Trim at reviews"],
        settings["Cutoff"],
        settings["Bonus cap"],
        settings["Reviews per application"],
        settings["Minimum reviews"],
        settings["Tie-break order"],
    ) == ("trimmed_mean", 5, 70, 5, 5, 3, ", ".join(plan.tie_breaks))
    _summary, korean = export(call, tmp_path, lang="ko")
    assert [cell.value for cell in korean["평가 항목"][1]] == [
        "공모",
        "순서",
        "평가 항목",
        "배점",
        "가중치",
        "최저 기준",
        "평가 단계",
    ]
    assert korean["평가 항목"]["C3"].value == "실현 가능성"


def _half_up(value):
    """A non-negative Fraction rounded half-up to 2 decimals, as a Decimal."""
    return Decimal(floor(value * 100 + Fraction(1, 2))) / 100


def _aggregate(values, method, trim_at):
    ordered = sorted(values)
    if method == "trimmed_mean" and len(ordered) >= trim_at:
        ordered = ordered[1:-1]
    elif method == "median":
        middle = len(ordered) // 2
        ordered = ordered[middle : middle + 1] if len(ordered) % 2 else ordered[middle - 1 : middle + 1]
    return _half_up(sum(ordered, Fraction(0)) / len(ordered))


def test_every_evaluation_score_is_recomputed_from_the_workbook_alone(weighted, tmp_path):
    _summary, book = export(weighted["call"], tmp_path)
    calls = {row["Call"]: row for row in by_header(book["Calls"])}
    criteria = {(row["Call"], row["Criterion"]): row for row in by_header(book["Criteria"])}
    call_of = {row["Reference"]: row["Call"] for row in by_header(book["Applications"])}

    totals = defaultdict(lambda: defaultdict(Fraction))  # reference -> reviewer -> total
    points = defaultdict(lambda: defaultdict(list))  # reference -> criterion -> points per review
    for row in by_header(book["Scores"]):
        if row["Superseded"]:
            continue
        criterion = criteria[(call_of[row["Reference"]], row["Criterion"])]
        value = Fraction(str(row["Points"]))
        totals[row["Reference"]][row["Reviewer"]] += value * Fraction(str(criterion["Weight"]))
        points[row["Reference"]][row["Criterion"]].append(value)

    recorded = {r.application.reference: r for r in weighted["run"].results.select_related("application")}
    checked = 0
    for row in by_header(book["Applications"]):
        reference, settings = row["Reference"], calls[row["Call"]]
        if reference not in totals:
            continue
        method, trim_at = settings["Aggregation"], settings["Trim at reviews"]
        reviews = list(totals[reference].values())
        assert len(reviews) == row["Reviews"] >= settings["Minimum reviews"]
        evaluation = _aggregate(reviews, method, trim_at)
        under_threshold = any(
            c["Threshold"] is not None
            and _aggregate(points[reference][name], method, trim_at) < Decimal(str(c["Threshold"]))
            for (call, name), c in criteria.items()
            if call == row["Call"]
        )
        below = evaluation < Decimal(str(settings["Cutoff"])) or under_threshold
        assert Decimal(str(row["Evaluation score"])) == evaluation, reference
        assert (row["Reason"] == "below_cutoff") == below, reference
        bonus = Decimal(str(row["Bonus"]))
        assert bonus <= Decimal(str(settings["Bonus cap"]))
        assert Decimal(str(row["Final score"])) == evaluation + bonus, reference
        result = recorded[reference]
        assert (result.evaluation_score, result.final_score) == (evaluation, evaluation + bonus)
        checked += 1
    assert checked == 16
    # The re-reviewed application is scored on its second round alone: totals 80, 68, 88, 56,
    # 84; trimmed (drop 88 and 56): (80 + 68 + 84) / 3 = 77.33.
    assert recorded[weighted["re_reviewed"].reference].evaluation_score == Decimal("77.33")


# --- A call evaluated in two stages, 30:70 ------------------------------------------------------


@pytest.fixture
def two_stage(staff, tmp_path, settings):
    """Document review (1.5 × the field's 2 places advance, cutoff 60) then presentation (cutoff
    70), weighted 30:70; five applications in one field, the three advancing scored again; the
    advancement confirmed and the selection recorded."""
    from evaluation.reviewing import complete_reviews
    from evaluation.stage_runs import confirm_advancement, record_advancement
    from tests.evaluation.conftest import eligible_applications, make_reviewers
    from tests.evaluation.test_stage_runs import score_in_stage
    from tests.evaluation.test_stages import two_stages

    settings.MEDIA_ROOT = tmp_path / "media"
    call = evaluation_call("staged-2026", "ST26")
    document, presentation = two_stages(call, weights=(30, 70))
    document.advance_multiple = Decimal("1.5")
    document.save()
    mobility = call.service_fields.get(name="Mobility")
    applications = [a for a in eligible_applications(call, 10) if a.service_field_id == mobility.pk]
    reviewers = make_reviewers(call, 3)
    for application, total in zip(applications, [90, 85, 80, 75, 55], strict=True):
        score_in_stage(application, document, reviewers, total)
    Application.objects.filter(pk__in=[a.pk for a in applications]).update(state=ApplicationState.SCORED)
    confirm_advancement(record_advancement(document, by=staff), by=staff)
    for application, total in zip(applications[:3], [65, 80, 95], strict=True):
        score_in_stage(application, presentation, make_reviewers(call, 3, prefix=f"p{application.pk}"), total)
    complete_reviews([a.pk for a in applications[:3]], by=staff, description="done")
    run, _results = selection_runs.run_selection(call, by=staff)
    return {"call": call, "run": run}


def test_every_stage_outcome_and_the_weighted_final_score_are_recomputed_from_the_workbook_alone(
    two_stage, tmp_path
):
    from math import ceil

    _summary, book = export(two_stage["call"], tmp_path)
    (settings,) = by_header(book["Calls"])
    assert settings["Final score rule"] == "weighted"
    stages = {row["Stage"]: row for row in by_header(book["Stages"])}
    assert [(s["Kind"], s["Weight (%)"]) for s in stages.values()] == [("document", 30), ("presentation", 70)]
    criteria = {(row["Stage"], row["Criterion"]): row for row in by_header(book["Criteria"])}
    places = {row["Name"]: row["Max awards"] for row in by_header(book["Quotas"]) if row["Kind"] == "field"}

    totals = defaultdict(lambda: defaultdict(Fraction))  # (stage, reference) -> reviewer -> total
    for row in by_header(book["Scores"]):
        if not row["Superseded"]:
            weight = criteria[(row["Stage"], row["Criterion"])]["Weight"]
            totals[row["Stage"], row["Reference"]][row["Reviewer"]] += Fraction(
                str(row["Points"])
            ) * Fraction(str(weight))
    method, trim_at = settings["Aggregation"], settings["Trim at reviews"]
    stage_score = {
        key: _aggregate(list(reviewers.values()), method, trim_at) for key, reviewers in totals.items()
    }

    # Stage 1: the cutoff eliminates, then the first ceil(1.5 × places) of the field advance.
    advancement = [row for row in by_header(book["Advancement"]) if row["Stage"] == 1]
    assert len(advancement) == 5
    cutoff = Decimal(str(stages[1]["Cutoff"]))
    passing = sorted(
        (row for row in advancement if stage_score[1, row["Reference"]] >= cutoff),
        key=lambda row: -stage_score[1, row["Reference"]],
    )
    n = ceil(Decimal(str(stages[1]["Multiple of the field's places"])) * places[passing[0]["Field"]])
    for row in advancement:
        score = stage_score[1, row["Reference"]]
        assert Decimal(str(row["Stage score"])) == score
        if score < cutoff:
            assert (row["Outcome"], row["Reason"]) == ("eliminated", "below_cutoff")
            assert Decimal(str(row["Margin"])) == cutoff - score
        elif passing.index(row) < n:
            assert (row["Outcome"], row["Reason"]) == ("advanced", "advanced")
        else:
            last = stage_score[1, passing[n - 1]["Reference"]]
            assert (row["Outcome"], row["Reason"], row["Rank in field"]) == ("eliminated", "not_advanced", 4)
            assert Decimal(str(row["Margin"])) == last - score
            assert Decimal(str(row["Last advancing score"])) == last

    # The final score: 30 % of the document review + 70 % of the presentation, rounded half-up.
    reasons = {row["Reference"]: row["Reason"] for row in by_header(book["Runs"])}
    checked = 0
    for row in by_header(book["Applications"]):
        if (2, row["Reference"]) not in stage_score:
            continue
        expected = _half_up(
            sum(
                Fraction(str(stages[k]["Weight (%)"])) * Fraction(stage_score[k, row["Reference"]])
                for k in (1, 2)
            )
            / 100
        )
        assert Decimal(str(row["Evaluation score"])) == expected, row["Reference"]
        below = stage_score[2, row["Reference"]] < Decimal(str(stages[2]["Cutoff"]))
        assert (reasons[row["Reference"]] == "below_cutoff") == below
        checked += 1
    assert checked == 3
    assert sorted(reasons) == sorted(
        ref for (stage, ref) in stage_score if stage == 2
    )  # only the last stage's
