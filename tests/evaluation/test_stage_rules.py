"""A stage's own rules, enforced (DESIGN.md §3 "Stages", invariants): only the reviews of the
application's current stage count, against that stage's minimum; a blind stage hides who applied
from its reviewers while a stage that is not blind (of a call that is not blind) shows them."""

from decimal import Decimal

import pytest
from django.urls import reverse

from competitions.lifecycle import TransitionRefused
from competitions.models import Call, DocumentKind
from evaluation.models import AdvancementResult, Assignment, Review
from evaluation.reviewing import close_review, complete_reviews
from evaluation.selection_runs import run_selection
from evaluation.stage_runs import confirm_advancement, record_advancement
from projects.models import Application, ApplicationState
from tests.evaluation.conftest import make_reviewers
from tests.evaluation.test_stage_runs import score_in_stage, staged  # noqa: F401 (fixture)
from tests.projects.conftest import attach


def advanced(call, staff, staged):  # noqa: F811
    document, presentation, applications, _reviewers = staged
    confirm_advancement(record_advancement(document, by=staff), by=staff)
    return document, presentation, applications[:3]


def test_an_earlier_stage_s_reviews_do_not_make_up_the_next_stage_s_minimum(call, staff, staged):  # noqa: F811
    _document, presentation, first = advanced(call, staff, staged)
    # Three document reviews each, but only one presentation review: not scored.
    score_in_stage(first[0], presentation, make_reviewers(call, 1, prefix="p"), 80)
    with pytest.raises(TransitionRefused) as refused:
        complete_reviews([first[0].pk], by=staff, description="done")
    assert refused.value.reasons == [
        f"{first[0].reference}: 1 review(s) of its current round submitted in Presentation; the stage"
        " needs at least 3 to score it."
    ]
    assert Application.objects.get(pk=first[0].pk).state == ApplicationState.UNDER_REVIEW
    # An application without any presentation review yet is not scored on its document reviews.
    closed = close_review(call, by=staff)
    assert closed.scored == []
    assert len(closed.lacking) == 3
    assert "0 review(s) of its current round submitted in Presentation" in closed.lacking[1]


def test_a_stage_s_own_minimum_decides_not_the_plan_s(call, staff, staged):  # noqa: F811
    _document, presentation, first = advanced(call, staff, staged)
    presentation.minimum_reviews, presentation.reviews_per_application = 2, 2
    presentation.save()
    call.evaluation_plan.__class__.objects.filter(pk=call.evaluation_plan.pk).update(minimum_reviews=6)
    score_in_stage(first[0], presentation, make_reviewers(call, 2, prefix="p"), 80)
    assert complete_reviews([first[0].pk], by=staff, description="done") == [first[0].pk]


def test_the_last_reviewer_of_the_stage_scores_it_only_at_the_stage_s_minimum(call, staff, staged):  # noqa: F811
    from evaluation.reviewing import _complete_if_done

    _document, presentation, first = advanced(call, staff, staged)
    presentation.minimum_reviews = 4
    presentation.save()
    score_in_stage(first[0], presentation, make_reviewers(call, 3, prefix="p"), 80)
    _complete_if_done(first[0])  # every presentation assignment submitted, but 3 < 4
    assert Application.objects.get(pk=first[0].pk).state == ApplicationState.UNDER_REVIEW
    presentation.minimum_reviews = 3
    presentation.save()
    _complete_if_done(first[0])
    assert Application.objects.get(pk=first[0].pk).state == ApplicationState.SCORED


def test_an_advancement_run_names_the_applications_short_of_the_stage_s_minimum(call, staff, staged):  # noqa: F811
    document, _presentation, applications, _reviewers = staged
    # Scored before the rule held (or on data from elsewhere): one review superseded since.
    first_review = Assignment.objects.filter(application=applications[1]).order_by("pk").first()
    Assignment.objects.filter(pk=first_review.pk).update(state=Assignment.State.PAST)
    with pytest.raises(TransitionRefused) as refused:
        record_advancement(document, by=staff)
    assert refused.value.reasons == [
        f"{applications[1].reference}: 2 review(s) of its current round submitted in Document review;"
        " the stage needs at least 3 to score it."
    ]
    assert not AdvancementResult.objects.exists()


def test_the_advancement_run_lists_why_applications_are_still_under_review(call, staff, staged):  # noqa: F811
    document, _presentation, applications, _reviewers = staged
    Review.objects.filter(application=applications[0]).update(state=Review.State.DRAFT)
    Application.objects.filter(pk=applications[0].pk).update(state=ApplicationState.UNDER_REVIEW)
    with pytest.raises(TransitionRefused) as refused:
        record_advancement(document, by=staff)
    assert refused.value.reasons == [
        "1 applications are still under review in this stage; close its review first.",
        f"{applications[0].reference}: 0 review(s) of its current round submitted in Document review;"
        " the stage needs at least 3 to score it.",
    ]


def test_selection_at_the_last_stage_refuses_an_application_short_of_its_minimum(call, staff, staged):  # noqa: F811
    _document, presentation, first = advanced(call, staff, staged)
    for application in first:
        score_in_stage(application, presentation, make_reviewers(call, 3, prefix=f"p{application.pk}"), 80)
    complete_reviews([a.pk for a in first], by=staff, description="done")
    run_selection(call, by=staff, dry_run=True)  # all three have their three presentation reviews
    superseded = Assignment.objects.filter(stage=presentation, application=first[2]).first()
    Assignment.objects.filter(pk=superseded.pk).update(state=Assignment.State.PAST)
    with pytest.raises(TransitionRefused) as refused:
        run_selection(call, by=staff, dry_run=True)
    assert refused.value.reasons == [
        f"{first[2].reference}: 2 review(s) of its current round submitted in Presentation; the stage"
        " needs at least 3 to score it."
    ]


# -- Blind per stage -----------------------------------------------------------------------------


@pytest.fixture
def blind_document_review(call, staff, staged):  # noqa: F811
    """The document review is blind, the presentation is not, in a call that is not blind."""
    document, presentation, first = advanced(call, staff, staged)
    document.blind = True
    document.save()
    Call.objects.filter(pk=call.pk).update(
        blind_review=False, reviewer_document_kinds=["proposal", "business_registration"]
    )
    application = first[0]
    for kind in ("proposal", "business_registration"):
        attach(application, kind, application.created_by, name=f"{kind}.pdf")
    committee = make_reviewers(call, 1, prefix="committee")[0]
    on_stage = Assignment.objects.create(application=application, reviewer=committee, stage=presentation)
    earlier = Assignment.objects.filter(application=application, stage=document).first()
    return application, earlier, on_stage


def test_a_blind_stage_hides_the_applicant_from_its_reviewers_only(client, blind_document_review):
    application, earlier, on_stage = blind_document_review
    assert earlier.hides_applicant and not on_stage.hides_applicant
    client.force_login(earlier.reviewer.user)
    # The document stage is over, so its assignment's page is read-only, but still blind.
    for url in [reverse("evaluation:my_reviews"), reverse("evaluation:review_form", args=[earlier.pk])]:
        page = client.get(url).content.decode()
        assert application.lead.name not in page
        assert application.lead.registration_number not in page
    page = client.get(reverse("evaluation:review_form", args=[earlier.pk]))
    assert {d.kind for d in page.context["documents"]} == {DocumentKind.PROPOSAL}

    client.force_login(on_stage.reviewer.user)
    page = client.get(reverse("evaluation:review_form", args=[on_stage.pk]))
    assert application.lead.name in page.content.decode()
    assert {d.kind for d in page.context["documents"]} == {"proposal", "business_registration"}
    assert application.lead.name in client.get(reverse("evaluation:my_reviews")).content.decode()


def test_a_blind_call_stays_blind_in_every_stage(client, blind_document_review, call):
    application, _earlier, on_stage = blind_document_review
    Call.objects.filter(pk=call.pk).update(blind_review=True, reviewer_document_kinds=["proposal"])
    on_stage = Assignment.objects.select_related("application__call", "stage").get(pk=on_stage.pk)
    assert on_stage.hides_applicant
    client.force_login(on_stage.reviewer.user)
    page = client.get(reverse("evaluation:review_form", args=[on_stage.pk]))
    assert application.lead.name not in page.content.decode()


def test_a_stage_that_is_not_blind_in_a_call_that_is_not_blind_hides_nothing(staged):  # noqa: F811
    document, presentation, _applications, _reviewers = staged
    assert not document.hides_applicants and not presentation.hides_applicants
    document.blind = True
    assert document.hides_applicants and Decimal(document.cutoff) == Decimal("60")
