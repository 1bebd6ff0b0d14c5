"""The integrity and confidentiality pledge (once per call) and the declaration of no conflict
(per application) come before any score: refused by the server, inside save_review."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from competitions.lifecycle import TransitionRefused
from evaluation import pledges, reviewing
from evaluation.models import Assignment, Criterion, NoConflictDeclaration, Pledge, PledgeText, Review
from projects.models import Membership

pytestmark = pytest.mark.django_db

SIGN_FIRST = "Sign the integrity and confidentiality pledge for this call before you score."
DECLARE_FIRST = "Declare that you have no conflict of interest with this application before you score it."


def full_marks(call):
    return {c: (str(c.max_points), "") for c in Criterion.objects.filter(plan__call=call)}


@pytest.fixture
def assignment(assigned):
    return (
        Assignment.objects.select_related("reviewer__user", "application")
        .filter(application=assigned[0])
        .first()
    )


def test_save_review_is_refused_without_the_pledge_and_the_declaration(call, assignment):
    user = assignment.reviewer.user
    for submit in (False, True):
        with pytest.raises(TransitionRefused) as refused:
            reviewing.save_review(assignment, full_marks(call), by=user, submit=submit)
        assert refused.value.reasons == [SIGN_FIRST, DECLARE_FIRST]
    pledges.sign_pledge(assignment, by=user, agreed=True, name="Kim Minsu", ip_address="203.0.113.7")
    with pytest.raises(TransitionRefused) as refused:
        reviewing.save_review(assignment, full_marks(call), by=user, submit=True)
    assert refused.value.reasons == [DECLARE_FIRST]
    assert not Review.objects.filter(assignment=assignment).exists()
    pledges.declare_no_conflict(assignment, by=user, ip_address="203.0.113.7")
    review = reviewing.save_review(assignment, full_marks(call), by=user, submit=True)
    assert review.state == Review.State.SUBMITTED


def test_the_pledge_is_signed_once_per_call_and_the_declaration_once_per_application(call, assigned):
    mine = Assignment.objects.filter(reviewer=Assignment.objects.first().reviewer).select_related(
        "reviewer__user"
    )
    first, second = list(mine)[:2]
    user = first.reviewer.user
    pledge = pledges.sign_pledge(first, by=user, agreed=True, name="Kim Minsu", ip_address="203.0.113.7")
    assert (pledge.text.version, pledge.signed_name, pledge.ip_address) == (1, "Kim Minsu", "203.0.113.7")
    assert pledge.signed_at is not None
    # Another application of the same call: no second pledge, but its own declaration.
    assert pledges.sign_pledge(second, by=user, agreed=True, name="Kim Minsu") == pledge
    pledges.declare_no_conflict(first, by=user)
    assert pledges.refusals_before_scoring(second, call.pk) == [DECLARE_FIRST]
    assert Pledge.objects.count() == 1 and NoConflictDeclaration.objects.count() == 1


def test_a_pledge_needs_the_tick_and_the_name(assignment):
    user = assignment.reviewer.user
    with pytest.raises(TransitionRefused) as refused:
        pledges.sign_pledge(assignment, by=user, agreed=False, name="  ")
    assert refused.value.reasons == [
        "Tick the box to agree to the pledge.",
        "Sign the pledge with your name.",
    ]
    assert not Pledge.objects.exists()


def test_nobody_signs_or_declares_for_another_reviewer(assigned):
    mine, theirs = (
        Assignment.objects.exclude(reviewer=Assignment.objects.first().reviewer).first(),
        Assignment.objects.first(),
    )
    with pytest.raises(PermissionDenied):
        pledges.sign_pledge(theirs, by=mine.reviewer.user, agreed=True, name="X")
    with pytest.raises(PermissionDenied):
        pledges.declare_no_conflict(theirs, by=mine.reviewer.user)
    assert not Pledge.objects.exists() and not NoConflictDeclaration.objects.exists()


def test_no_conflict_cannot_be_declared_against_the_records(assignment):
    Membership.objects.create(user=assignment.reviewer.user, organisation=assignment.application.lead)
    with pytest.raises(TransitionRefused) as refused:
        pledges.declare_no_conflict(assignment, by=assignment.reviewer.user)
    assert refused.value.reasons == [
        "Our records show a conflict of interest with this application: recuse yourself instead."
    ]
    assert not NoConflictDeclaration.objects.exists()


def test_pledges_and_declarations_are_never_changed_or_deleted(assignment):
    user = assignment.reviewer.user
    pledge = pledges.sign_pledge(assignment, by=user, agreed=True, name="Kim Minsu")
    declaration = pledges.declare_no_conflict(assignment, by=user)
    for record in (pledge, declaration, PledgeText.objects.get(version=1)):
        with pytest.raises(ValueError, match="never changed"):
            record.save()
        with pytest.raises(ValueError, match="never deleted"):
            record.delete()


def test_the_review_form_walks_through_pledge_declaration_then_scores(client, call, assignment):
    client.force_login(assignment.reviewer.user)
    url = reverse("evaluation:review_form", args=[assignment.pk])
    page = client.get(url).content.decode()
    assert "청렴" not in page  # English by default
    assert "Integrity and confidentiality pledge" in page and 'name="points-' not in page
    # Refused without the tick: the typed name stays.
    response = client.post(url, {"action": "pledge", "name": "Kim Minsu"})
    assert "Tick the box to agree to the pledge." in [str(m) for m in response.context["messages"]]
    assert 'value="Kim Minsu"' in response.content.decode()
    client.post(url, {"action": "pledge", "agree": "yes", "name": "Kim Minsu"}, REMOTE_ADDR="198.51.100.4")
    assert Pledge.objects.get().ip_address == "198.51.100.4"
    page = client.get(url).content.decode()
    assert 'value="no_conflict"' in page and 'name="points-' not in page
    client.post(url, {"action": "no_conflict"})
    assert NoConflictDeclaration.objects.get().assignment == assignment
    assert 'name="points-' in client.get(url).content.decode()
    # Scores posted past the page without the steps are refused by the server too (see above).


def test_a_scores_post_without_the_pledge_is_refused_and_saves_nothing(client, call, assignment):
    client.force_login(assignment.reviewer.user)
    data = {f"points-{c.pk}": str(c.max_points) for c in Criterion.objects.filter(plan__call=call)}
    response = client.post(
        reverse("evaluation:review_form", args=[assignment.pk]), {**data, "action": "submit"}
    )
    assert [str(m) for m in response.context["messages"]] == [SIGN_FIRST, DECLARE_FIRST]
    assert not Review.objects.exists()
