"""Before a reviewer scores through the API, as on the review page (evaluation.pledges): the
integrity and confidentiality pledge of the call is read and signed, no conflict of interest is
declared for the application, or a conflict is declared and the reviewer recuses. The scores
are refused (409, the page's reasons) until both are done; another reviewer, an applicant and
staff reach none of it (404); a read-only token changes nothing (403)."""

import pytest

from evaluation.assigning import assign_reviewers
from evaluation.generate import system_user
from evaluation.models import Assignment, DeclaredConflict, NoConflictDeclaration, Pledge, PledgeText, Review
from projects.models import Membership
from tests.evaluation.conftest import eligible_applications, evaluation_call, make_reviewers
from tests.factories import cleared_to_score

from .conftest import api_client
from .test_workflow_actions import korean

pytestmark = pytest.mark.django_db

SIGN_FIRST = "Sign the integrity and confidentiality pledge for this call before you score."
DECLARE_FIRST = "Declare that you have no conflict of interest with this application before you score it."


@pytest.fixture
def two_assignments(role_groups):
    """Two reviewers' active assignments to one application of a call under review."""
    call = evaluation_call("api-pledge", "AP26")
    [application] = eligible_applications(call, 1)
    make_reviewers(call, 5)
    assign_reviewers(call, by=system_user(), seed=1)
    first, second = (
        Assignment.objects.filter(application=application, state="active")
        .select_related("reviewer__user", "application")
        .order_by("pk")[:2]
    )
    return first, second


def full_marks(client, assignment):
    criteria = client.get(f"/api/v1/reviews/{assignment.pk}/").json()["criteria"]
    return [{"criterion": c["id"], "points": str(c["max_points"])} for c in criteria]


def test_a_reviewer_signs_the_pledge_declares_no_conflict_and_only_then_scores(two_assignments):
    first, _second = two_assignments
    client = api_client(first.reviewer.user)
    base = f"/api/v1/reviews/{first.pk}"
    read = client.get(f"{base}/pledge/")
    assert read.status_code == 200
    text = PledgeText.objects.order_by("-version").first()
    assert read.json() == {
        "call": first.application.call.slug,
        "version": text.version,
        "text": text.body,
        "signed": False,
        "signed_version": None,
        "signed_name": "",
        "signed_at": None,
    }
    korean_text = api_client(first.reviewer.user, language="ko").get(f"{base}/pledge/").json()["text"]
    assert korean_text == text.body_ko and korean(korean_text)

    scores = {"scores": full_marks(client, first), "submit": True}
    refused = client.post(f"{base}/scores/", scores, format="json")
    assert refused.status_code == 409 and refused.json()["reasons"] == [SIGN_FIRST, DECLARE_FIRST]

    # The page's refusals: the tick and the name, both at once; nothing signed.
    unsigned = client.post(f"{base}/pledge/", {}, format="json")
    assert unsigned.status_code == 409
    assert unsigned.json()["reasons"] == [
        "Tick the box to agree to the pledge.",
        "Sign the pledge with your name.",
    ]
    assert client.post(f"{base}/pledge/", {"agreed": "maybe"}, format="json").status_code == 400
    assert not Pledge.objects.exists()

    signed = client.post(f"{base}/pledge/", {"agreed": True, "name": "Kim Minsu"}, format="json")
    assert signed.status_code == 200, signed.json()
    assert signed.json()["signed"] is True and signed.json()["signed_version"] == text.version
    assert signed.json()["signed_name"] == "Kim Minsu"
    pledge = Pledge.objects.get()
    assert (pledge.reviewer, pledge.call_id, pledge.ip_address) == (
        first.reviewer,
        first.application.call_id,
        "127.0.0.1",
    )
    # Signing again changes nothing.
    again = client.post(f"{base}/pledge/", {"agreed": True, "name": "Someone Else"}, format="json")
    assert again.status_code == 200 and again.json()["signed_name"] == "Kim Minsu"
    assert Pledge.objects.count() == 1

    [listed] = client.get("/api/v1/reviews/").json()["results"]
    assert (listed["pledge_signed"], listed["no_conflict_declared"]) == (True, False)
    refused = client.post(f"{base}/scores/", scores, format="json")
    assert refused.status_code == 409 and refused.json()["reasons"] == [DECLARE_FIRST]
    assert not Review.objects.exists()

    declared = client.post(f"{base}/no-conflict/")
    assert declared.status_code == 200, declared.json()
    assert declared.json()["assignment"] == first.pk
    assert NoConflictDeclaration.objects.get().declared_by == first.reviewer.user
    assert client.post(f"{base}/no-conflict/").status_code == 200  # once: nothing more recorded
    assert NoConflictDeclaration.objects.count() == 1
    assert client.get(f"{base}/").json()["no_conflict_declared"] is True

    scored = client.post(f"{base}/scores/", scores, format="json")
    assert scored.status_code == 200, scored.json()
    assert scored.json()["review_state"] == Review.State.SUBMITTED


def test_nobody_else_reads_signs_or_declares_for_a_reviewer(two_assignments, applicant, staff):
    first, second = two_assignments
    base = f"/api/v1/reviews/{first.pk}"
    for someone in (second.reviewer.user, applicant, staff):
        client = api_client(someone)
        assert client.get(f"{base}/pledge/").status_code == 404
        assert client.post(f"{base}/pledge/", {"agreed": True, "name": "X"}, format="json").status_code == 404
        assert client.post(f"{base}/no-conflict/").status_code == 404
        assert client.post(f"{base}/conflict/", {"reason": "X"}, format="json").status_code == 404
    read_only = api_client(first.reviewer.user, scope="read")
    assert read_only.get(f"{base}/pledge/").status_code == 200
    assert read_only.post(f"{base}/pledge/", {"agreed": True, "name": "X"}, format="json").status_code == 403
    assert read_only.post(f"{base}/no-conflict/").status_code == 403
    assert read_only.post(f"{base}/conflict/", {"reason": "X"}, format="json").status_code == 403
    assert not Pledge.objects.exists() and not NoConflictDeclaration.objects.exists()
    assert Assignment.objects.get(pk=first.pk).state == Assignment.State.ACTIVE


def test_no_conflict_is_refused_against_the_records_and_a_conflict_recuses(two_assignments):
    first, _second = two_assignments
    Membership.objects.create(user=first.reviewer.user, organisation=first.application.lead)
    client = api_client(first.reviewer.user, language="ko")
    base = f"/api/v1/reviews/{first.pk}"
    refused = client.post(f"{base}/no-conflict/")
    assert refused.status_code == 409 and korean(refused.json()["detail"])
    english = api_client(first.reviewer.user).post(f"{base}/no-conflict/")
    assert english.json()["reasons"] == [
        "Our records show a conflict of interest with this application: recuse yourself instead."
    ]
    assert not NoConflictDeclaration.objects.exists()

    unexplained = api_client(first.reviewer.user).post(f"{base}/conflict/", {"reason": " "}, format="json")
    assert unexplained.status_code == 409
    assert unexplained.json()["reasons"] == ["Say briefly why you have a conflict of interest."]
    assert Assignment.objects.get(pk=first.pk).state == Assignment.State.ACTIVE

    recused = api_client(first.reviewer.user).post(
        f"{base}/conflict/", {"reason": "I advised the lead last year."}, format="json"
    )
    assert recused.status_code == 200, recused.json()
    assert recused.json()["recused"] is True
    kept = Assignment.objects.get(pk=first.pk)
    assert (kept.state, kept.recusal_reason) == (Assignment.State.RECUSED, "I advised the lead last year.")
    assert DeclaredConflict.objects.filter(
        reviewer=first.reviewer, organisation=first.application.lead
    ).exists()
    # No longer theirs: the assignment is gone from their reviews, as from the page.
    assert api_client(first.reviewer.user).get(f"{base}/pledge/").status_code == 404


def test_a_submitted_review_cannot_be_recused_through_the_api(two_assignments):
    first, _second = two_assignments
    client = api_client(first.reviewer.user)
    cleared_to_score(first)
    base = f"/api/v1/reviews/{first.pk}"
    submitted = client.post(
        f"{base}/scores/", {"scores": full_marks(client, first), "submit": True}, format="json"
    )
    assert submitted.status_code == 200, submitted.json()
    refused = client.post(f"{base}/conflict/", {"reason": "Found late."}, format="json")
    assert refused.status_code == 409
    assert refused.json()["reasons"] == [
        "You already submitted this review; ask the ministry to withdraw it."
    ]
    assert Assignment.objects.get(pk=first.pk).state == Assignment.State.ACTIVE
