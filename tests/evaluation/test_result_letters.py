"""Result letters: what each applicant learns once results are published (DESIGN.md §2): the
margin in plain words from the recorded runs, rank bands, comments without names, who sees what,
Korean and English."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from competitions.models import Call, CallState
from evaluation.models import Assignment, LetterComments, Review, SelectionResult, SelectionRun
from evaluation.result_letters import letter_facts, letter_for, ordinal, rank_band
from evaluation.reviewing import complete_reviews
from evaluation.selection_runs import confirm_run, run_selection
from evaluation.stage_runs import confirm_advancement, record_advancement
from projects.models import Application, ApplicationState, OutboxMessage
from tests.evaluation.conftest import eligible_applications, make_reviewers
from tests.evaluation.test_stage_runs import score_in_stage, staged  # noqa: F401
from tests.factories import OrganisationFactory, UserFactory

M = 1_000_000


def in_english(function, *args):
    with translation.override("en"):
        return function(*args)


def recorded(call, staff, rows, *, state=CallState.RESULTS_PUBLISHED, parameters=None):
    """A confirmed selection run of constructed results: rows of (application, evaluation score,
    rank, outcome, reason, requested subsidy, state); the call's results published."""
    run = SelectionRun.objects.create(
        call=call,
        number=1,
        parameters={"cutoff": "70.00", "budget": call.budget_total, **(parameters or {})},
        inputs_hash="x" * 64,
        created_by=staff,
        confirmed_by=staff,
        confirmed_at=timezone.now(),
    )
    for application, score, rank, outcome, reason, requested, app_state in rows:
        SelectionResult.objects.create(
            run=run,
            application=application,
            evaluation_score=score,
            bonus=Decimal("0"),
            final_score=score,
            rank=rank,
            outcome=outcome,
            reason=reason,
            requested_subsidy=requested,
        )
        Application.objects.filter(pk=application.pk).update(state=app_state)
    Call.objects.filter(pk=call.pk).update(state=state)
    return run


@pytest.fixture
def mobility(call, staff):
    """Six applications of the Mobility field (2 places) and one of Safety, in a recorded run:
    two selected, two reserves (the field full), one below the cutoff, one passed by for the
    budget, and Safety's selected one."""
    field = call.service_fields.get(name="Mobility")
    applications = [a for a in eligible_applications(call, 12) if a.service_field_id == field.pk][:6]
    safety = Application.objects.filter(call=call).exclude(service_field=field).first()
    a, b, c, d, e, f = applications
    S, R, N = ApplicationState.SELECTED, ApplicationState.RESERVE, ApplicationState.NOT_SELECTED
    recorded(
        call,
        staff,
        [
            (a, Decimal("90.00"), 1, "selected", "selected", 400 * M, S),
            (b, Decimal("85.00"), 2, "selected", "selected", 300 * M, S),
            (safety, Decimal("84.00"), 3, "selected", "selected", 200 * M, S),
            (c, Decimal("83.00"), 4, "reserve", "field_quota_full", 100 * M, R),
            (d, Decimal("81.20"), 5, "reserve", "field_quota_full", 100 * M, R),
            (e, Decimal("80.00"), 6, "not_selected", "budget_exhausted", 300 * M, N),
            (f, Decimal("69.63"), None, "below_cutoff", "below_cutoff", 100 * M, N),
        ],
    )
    return [Application.objects.get(pk=x.pk) for x in applications], Application.objects.get(pk=safety.pk)


def test_below_the_cutoff_the_letter_says_by_how_much(mobility):
    applications, _safety = mobility
    letter = in_english(letter_for, applications[5])
    assert letter.margin == "0.37 points below the cutoff (70.00)."
    assert letter.rank_band == ""  # not ranked
    with translation.override("ko"):
        assert letter_for(applications[5]).margin == "선정 기준 점수(70.00점)보다 0.37점 낮습니다."


def test_a_reserve_of_a_full_field_is_told_the_places_its_number_and_the_last_selected_score(mobility):
    applications, _safety = mobility
    letter = in_english(letter_for, applications[3])
    assert letter.outcome == ApplicationState.RESERVE
    assert letter.margin == (
        "The field's 2 places went to higher scores. Reserve no. 2. The last selected scored 85.00."
    )
    assert letter.rank_band == "51–100 %"  # 4th of the field's 5 ranked
    with translation.override("ko"):
        assert letter_for(applications[3]).margin == (
            "이 분야의 선정 한도 2건은 더 높은 점수의 과제에 돌아갔습니다. 예비 후보 2순위입니다. "
            "마지막으로 선정된 과제의 점수는 85.00점입니다."
        )


def test_budget_exhausted_says_what_was_left_and_what_was_asked(mobility):
    applications, _safety = mobility
    letter = in_english(letter_for, applications[4])
    assert letter.margin == (
        "The remaining budget (100,000,000 KRW) did not cover the request (300,000,000 KRW)."
        " The last selected scored 84.00."
    )


def test_selected_says_its_place_among_the_selected(mobility):
    applications, safety = mobility
    assert in_english(letter_for, applications[1]).margin == "Selected: 2nd of 3 selected."
    assert in_english(letter_for, safety).margin == "Selected: 3rd of 3 selected."
    with translation.override("ko"):
        assert letter_for(safety).margin == "선정: 선정된 3건 중 3위입니다."
    letter = in_english(letter_for, applications[0])
    assert letter.rank_band == "top 10 %"  # 1st of 5 ranked in the field
    assert [(line.name, line.score) for line in letter.stages] == [("Evaluation", Decimal("90.00"))]


def test_ordinals_in_english_and_korean():
    assert [in_english(ordinal, n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111)] == [
        "1st",
        "2nd",
        "3rd",
        "4th",
        "11th",
        "12th",
        "13th",
        "21st",
        "22nd",
        "101st",
        "111th",
    ]
    with translation.override("ko"):
        assert ordinal(12) == "12위"


@pytest.mark.parametrize(
    ("position", "ranked", "band"),
    [
        (1, 1, "top 10 %"),
        (1, 5, "top 10 %"),
        (1, 10, "top 10 %"),
        (2, 10, "11–25 %"),
        (10, 100, "top 10 %"),
        (11, 100, "11–25 %"),
        (25, 100, "11–25 %"),
        (26, 100, "26–50 %"),
        (50, 100, "26–50 %"),
        (51, 100, "51–100 %"),
        (100, 100, "51–100 %"),
        (3, 20, "11–25 %"),
        (None, 20, ""),
    ],
)
def test_rank_bands_at_their_boundaries(position, ranked, band):
    assert in_english(rank_band, position, ranked) == band


def test_rank_band_in_korean():
    with translation.override("ko"):
        assert rank_band(1, 10) == "상위 10%"
        assert rank_band(11, 100) == "상위 11–25%"


def test_no_letter_before_the_results_are_published(call, staff, mobility, client):
    applications, _safety = mobility
    Call.objects.filter(pk=call.pk).update(state=CallState.EVALUATION)
    application = Application.objects.get(pk=applications[0].pk)
    assert letter_for(application) is None
    owner = UserFactory()
    application.lead.memberships.create(user=owner, role="owner")
    client.force_login(owner)
    assert client.get(reverse("evaluation:result_letter", args=[application.pk])).status_code == 404
    page = client.get(reverse("projects:application_detail", args=[application.pk]))
    assert page.status_code == 200
    assert 'id="result-letter"' not in page.content.decode()
    # Staff preview it all the same.
    client.force_login(staff)
    preview = client.get(reverse("evaluation:result_letter", args=[application.pk]))
    assert preview.status_code == 200
    assert "Staff preview" in preview.content.decode() or "직원 미리보기" in preview.content.decode()


def test_the_letter_is_on_the_application_page_and_nobody_else_sees_it(call, staff, mobility, client):
    applications, _safety = mobility
    application = applications[3]
    owner = UserFactory()
    application.lead.memberships.create(user=owner, role="owner")
    client.force_login(owner)
    page = client.get(
        reverse("projects:application_detail", args=[application.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )
    text = page.content.decode()
    assert 'id="result-letter"' in text
    assert "Reserve no. 2." in text
    letter = client.get(reverse("evaluation:result_letter", args=[application.pk]))
    assert letter.status_code == 200
    assert "letter-print.css" in letter.content.decode()
    other = UserFactory()
    OrganisationFactory(owners=[other])
    client.force_login(other)
    assert client.get(reverse("evaluation:result_letter", args=[application.pk])).status_code == 404


def test_comments_are_shown_without_names_only_when_the_call_allows(call, staff, mobility, client):
    applications, _safety = mobility
    application = applications[0]
    reviewers = make_reviewers(call, 3, prefix="cmt")
    for n, reviewer in enumerate(reviewers):
        assignment = Assignment.objects.create(application=application, reviewer=reviewer)
        Review.objects.create(
            assignment=assignment,
            application=application,
            state=Review.State.SUBMITTED,
            total=80,
            comment=f"Comment {n}: a clear plan. {reviewer.user.first_name} {reviewer.user.last_name}, "
            f"{reviewer.code}, {reviewer.user.email}",
        )
    assert in_english(letter_for, application).stages[0].comments == []  # the call shows none
    plan = call.evaluation_plan
    plan.letter_comments = LetterComments.ANONYMISED
    plan.save()
    comments = in_english(letter_for, application).stages[0].comments
    assert sorted(c.split(":")[0] for c in comments) == ["Comment 0", "Comment 1", "Comment 2"]
    assert comments == in_english(letter_for, application).stages[0].comments  # a stable order
    owner = UserFactory(language="en")
    application.lead.memberships.create(user=owner, role="owner")
    client.force_login(owner)
    page = client.get(reverse("evaluation:result_letter", args=[application.pk])).content.decode()
    from evaluation.selection_runs import _notify

    _notify([application.pk])
    mail = OutboxMessage.objects.get(to=owner.email).body
    assert "a clear plan" in page and "a clear plan" in mail
    for reviewer in reviewers:
        for identity in (reviewer.code, reviewer.user.email, reviewer.user.last_name):
            assert identity not in page
            assert identity not in mail


def test_a_two_stage_call_end_to_end_letters_from_the_recorded_runs_in_each_language(
    call,
    staff,
    staged,  # noqa: F811
):
    document, presentation, applications, _reviewers = staged
    korean, english = UserFactory(language="ko"), UserFactory(language="en")
    for application in applications:
        application.lead.memberships.create(user=korean, role="owner")
        application.lead.memberships.create(user=english, role="member")
    confirm_advancement(record_advancement(document, by=staff), by=staff)
    advanced = applications[:3]
    for application, total in zip(advanced, [65, 80, 95], strict=True):
        score_in_stage(application, presentation, make_reviewers(call, 3, prefix=f"p{application.pk}"), total)
    complete_reviews([a.pk for a in advanced], by=staff, description="done")
    run, _results = run_selection(call, by=staff)
    confirm_run(run, by=staff)
    # Nothing is recomputed: spoiling the reviews afterwards changes no letter.
    Review.objects.filter(application__in=applications).update(total=1)

    fourth = in_english(letter_for, Application.objects.get(pk=applications[3].pk))
    assert fourth.outcome == ApplicationState.ELIMINATED
    assert fourth.margin == (
        "Eliminated at Document review: 4th of 4 in the field, the first 3 advanced; "
        "the last advancing scored 80.00."
    )
    assert fourth.rank_band == "51–100 %"
    fifth = in_english(letter_for, Application.objects.get(pk=applications[4].pk))
    assert fifth.margin == "Eliminated at Document review: 5.00 points below the cutoff (60.00)."
    with translation.override("ko"):
        assert letter_for(Application.objects.get(pk=applications[3].pk)).margin == (
            "서면평가에서 탈락했습니다: 분야 4건 중 4위로, 상위 3건이 다음 단계에 올랐고 "
            "마지막으로 올라간 과제의 점수는 80.00점입니다."
        )

    best = in_english(letter_for, Application.objects.get(pk=advanced[2].pk))
    assert [(line.name, line.score, line.weight) for line in best.stages] == [
        ("Document review", Decimal("80.00"), Decimal("30")),
        ("Presentation", Decimal("95.00"), Decimal("70")),
    ]
    assert (best.weighted, best.weights_text, best.final_score) == (True, "30:70", Decimal("90.50"))
    assert best.margin == "Selected: 1st of 2 selected."
    first = in_english(letter_for, Application.objects.get(pk=advanced[0].pk))
    assert first.stages[1].score == Decimal("65.00")  # the presentation's own score, as recorded
    assert first.margin == "5.00 points below the cutoff (70.00)."

    # Every applicant, the eliminated too, receives its letter in its own language.
    for application in applications:
        results = (
            OutboxMessage.objects.filter(subject__contains=application.reference)
            .exclude(
                subject__contains="advance"  # the notices of the advancement run (evaluation.stage_notices)
            )
            .exclude(subject__contains="진출")
        )
        mails = {m.to: m.body for m in results}
        assert set(mails) == {korean.email, english.email}
        assert "Result letter" in mails[english.email]
        assert "결과 통지서" in mails[korean.email]
    reference = applications[3].reference
    assert (
        "Eliminated at Document review"
        in OutboxMessage.objects.get(to=english.email, subject=f"Result of application {reference}").body
    )
    # Told first when the advancement run was confirmed, in the same words.
    assert (
        "Eliminated at Document review"
        in OutboxMessage.objects.get(
            to=english.email, subject=f"{reference} was not advanced beyond Document review"
        ).body
    )


def test_staff_preview_says_when_no_run_tells_the_result(call, staff, client):
    application = eligible_applications(call, 1)[0]
    assert letter_facts(application) is None
    client.force_login(staff)
    response = client.get(
        reverse("evaluation:result_letter", args=[application.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200


def test_after_a_decline_the_letters_say_who_declined_and_who_was_promoted(mobility):
    applications, _safety = mobility
    first, _second, reserve = applications[:3]
    Application.objects.filter(pk=first.pk).update(state=ApplicationState.DECLINED)
    Application.objects.filter(pk=reserve.pk).update(state=ApplicationState.SELECTED)
    declined = in_english(letter_for, Application.objects.get(pk=first.pk))
    assert declined.margin == "Selected: 1st of 3 selected. The selection was then declined."
    promoted = in_english(letter_for, Application.objects.get(pk=reserve.pk))
    assert promoted.outcome == ApplicationState.SELECTED
    assert promoted.margin == (
        "The field's 2 places went to higher scores. Reserve no. 1. "
        "Selected from the reserve list after a selected applicant declined. The last selected scored 85.00."
    )
