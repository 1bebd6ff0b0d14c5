"""The API's workflow actions beyond drafts, through the same domain functions and ``rules`` as
the pages: consortium members (the lead proposes, the member's people consent), correction
requests (staff ask, the applicant corrects and resubmits), accepting or declining an award,
objections (filed in the window, decided by staff), reviews (scored by their reviewer) and
closing the review. Another organisation's objects answer 404; a refused transition 409 with
its reasons in the caller's language; a read-only token changes nothing."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_fsm_log.models import StateLog

from evaluation.assigning import assign_reviewers
from evaluation.generate import system_user
from evaluation.models import Assignment, Objection, Review
from projects import workflow
from projects.models import Application, ApplicationState, ConsortiumMember, Organisation
from tests.evaluation.conftest import eligible_applications, evaluation_call, make_reviewers
from tests.factories import ApplicationFactory, cleared_to_score, reception_closed
from tests.projects.samples import pdf_bytes

from .conftest import api_client

pytestmark = pytest.mark.django_db


def korean(text):
    return any("\uac00" <= ch <= "\ud7a3" for ch in text)


def reload(application):
    return Application.objects.get(pk=application.pk)


@pytest.fixture
def submitted(draft, applicant):
    application = workflow.submit(draft, by=applicant)
    reception_closed(application.call)
    return reload(application)


# --- Consortium members ---------------------------------------------------------------------------


def test_the_lead_proposes_a_member_whose_people_accept_once(draft, applicant, stranger):
    other = Organisation.objects.get(memberships__user=stranger)
    lead = api_client(applicant)
    path = f"/api/v1/applications/{draft.pk}/members/"
    refused = lead.post(
        path,
        {"registration_number": draft.lead.registration_number, "budget_share_percent": "20"},
        format="json",
    )
    assert refused.status_code == 400 and "registration_number" in refused.json()
    added = lead.post(
        path,
        {"registration_number": other.registration_number, "budget_share_percent": "20.00"},
        format="json",
    )
    assert added.status_code == 201, added.json()
    assert added.json()["state"] == "pending" and added.json()["organisation"] == other.pk
    assert [row["id"] for row in lead.get(path).json()] == [added.json()["id"]]

    member = api_client(stranger)
    # The member's people see the application only as a request, never the application itself.
    assert member.get(f"/api/v1/applications/{draft.pk}/").status_code == 404
    [offered] = member.get("/api/v1/consortium-requests/").json()["results"]
    assert offered["id"] == added.json()["id"]
    # The lead may not answer for the member organisation.
    respond = f"/api/v1/consortium-requests/{offered['id']}/respond/"
    assert lead.post(respond, {"accept": True}, format="json").status_code == 404
    accepted = member.post(respond, {"accept": True}, format="json")
    assert accepted.status_code == 200 and accepted.json()["state"] == "accepted"
    again = api_client(stranger, language="ko").post(respond, {"accept": False}, format="json")
    assert again.status_code == 409 and korean(again.json()["detail"])
    assert ConsortiumMember.objects.get(pk=offered["id"]).state == "accepted"
    assert member.get("/api/v1/consortium-requests/").json()["results"] == []


def test_a_member_is_taken_off_a_draft_only_and_never_by_another_organisation(draft, applicant, stranger):
    other = Organisation.objects.get(memberships__user=stranger)
    proposed = ConsortiumMember.objects.create(application=draft, organisation=other, budget_share_percent=10)
    remove = f"/api/v1/applications/{draft.pk}/members/{proposed.pk}/remove/"
    assert api_client(stranger).post(remove).status_code == 404
    assert api_client(applicant, scope="read").post(remove).status_code == 403
    assert ConsortiumMember.objects.filter(pk=proposed.pk).exists()
    Application.objects.filter(pk=draft.pk).update(state=ApplicationState.SUBMITTED)
    refused = api_client(applicant).post(remove)
    assert refused.status_code == 409 and refused.json()["reasons"] == ["Only a draft can be changed."]
    Application.objects.filter(pk=draft.pk).update(state=ApplicationState.DRAFT)
    lead = api_client(applicant)
    assert lead.post(remove, {"reason": "Left the project."}, format="json").status_code == 204
    # Never deleted: withdrawn, with who and why logged; off the list, and not to be removed twice.
    withdrawn = ConsortiumMember.objects.get(pk=proposed.pk)
    assert withdrawn.state == ConsortiumMember.State.WITHDRAWN
    log = StateLog.objects.for_(withdrawn).get()
    assert (log.transition, log.by, log.description) == ("withdraw", applicant, "Left the project.")
    assert lead.get(f"/api/v1/applications/{draft.pk}/members/").json() == []
    assert lead.post(remove).status_code == 404
    # Its people no longer see the request, nor answer it.
    member = api_client(stranger)
    assert member.get("/api/v1/consortium-requests/").json()["results"] == []
    respond = f"/api/v1/consortium-requests/{proposed.pk}/respond/"
    assert member.post(respond, {"accept": True}, format="json").status_code == 404
    # The same organisation may be proposed again.
    again = lead.post(
        f"/api/v1/applications/{draft.pk}/members/",
        {"registration_number": other.registration_number, "budget_share_percent": "15"},
        format="json",
    )
    assert again.status_code == 201, again.json()
    assert again.json()["state"] == "pending" and again.json()["id"] != proposed.pk


# --- Corrections ------------------------------------------------------------------------------------


def test_staff_ask_for_a_correction_the_applicant_corrects_and_resubmits(
    submitted, applicant, staff, stranger
):
    ask = f"/api/v1/applications/{submitted.pk}/correction-request/"
    body = {
        "parts": [{"kind": "funding_plan"}, {"kind": "document", "target": "business_registration"}],
        "message": "The certificate is unreadable; the private cash is missing.",
        "deadline": (timezone.now() + timedelta(days=3)).isoformat(),
    }
    assert api_client(applicant).post(ask, body, format="json").status_code == 403
    past = api_client(staff).post(ask, {**body, "deadline": "2020-01-01T09:00:00+09:00"}, format="json")
    assert past.status_code == 409 and "deadline" in past.json()["detail"]
    asked = api_client(staff).post(ask, body, format="json")
    assert asked.status_code == 201, asked.json()
    assert sorted(item["kind"] for item in asked.json()["items"]) == ["document", "funding_plan"]
    assert reload(submitted).state == ApplicationState.CORRECTION_REQUESTED

    client = api_client(applicant)
    read = client.get(f"/api/v1/applications/{submitted.pk}/correction/")
    assert read.status_code == 200 and read.json()["message"] == body["message"]
    assert api_client(stranger).get(f"/api/v1/applications/{submitted.pk}/correction/").status_code == 404
    early = api_client(applicant, language="ko").post(f"/api/v1/applications/{submitted.pk}/resubmit/")
    assert early.status_code == 409 and korean(early.json()["detail"])

    plan = client.post(
        f"/api/v1/applications/{submitted.pk}/correction/funding-plan/",
        {"private_cash": 150_000_000, "private_in_kind": 50_000_000},
        format="json",
    )
    assert plan.status_code == 200, plan.json()
    assert plan.json()["private_cash"] == 150_000_000
    wrong_kind = client.post(
        f"/api/v1/applications/{submitted.pk}/documents/",
        {"file": SimpleUploadedFile("p.pdf", pdf_bytes()), "kind": "proposal"},
        format="multipart",
    )
    assert wrong_kind.status_code == 409  # the request names only the certificate
    uploaded = client.post(
        f"/api/v1/applications/{submitted.pk}/documents/",
        {"file": SimpleUploadedFile("certificate-new.pdf", pdf_bytes()), "kind": "business_registration"},
        format="multipart",
    )
    assert uploaded.status_code == 201, uploaded.json()
    assert all(
        item["corrected"]
        for item in client.get(f"/api/v1/applications/{submitted.pk}/correction/").json()["items"]
    )
    resubmitted = client.post(f"/api/v1/applications/{submitted.pk}/resubmit/")
    assert resubmitted.status_code == 200, resubmitted.json()
    assert resubmitted.json()["state"] == ApplicationState.SUBMITTED
    assert client.get(f"/api/v1/applications/{submitted.pk}/correction/").status_code == 404
    log = StateLog.objects.for_(reload(submitted)).latest("timestamp")
    assert log.by == applicant and log.transition == "resubmit"


# --- Accepting or declining an award -----------------------------------------------------------------


def test_the_selected_lead_accepts_once_and_nobody_else_may(
    open_call, organisation, applicant, stranger, staff
):
    application = ApplicationFactory(call=open_call, lead=organisation, created_by=applicant)
    draft_refused = api_client(applicant).post(f"/api/v1/applications/{application.pk}/accept/")
    assert draft_refused.status_code == 409
    assert draft_refused.json()["reasons"] == ["Only a selected application can be accepted."]
    Application.objects.filter(pk=application.pk).update(
        state=ApplicationState.SELECTED, reference="PC26-0001"
    )
    assert api_client(stranger).post(f"/api/v1/applications/{application.pk}/accept/").status_code == 404
    assert (
        api_client(applicant, scope="read").post(f"/api/v1/applications/{application.pk}/accept/").status_code
        == 403
    )
    accepted = api_client(applicant).post(f"/api/v1/applications/{application.pk}/accept/")
    assert accepted.status_code == 200 and reload(application).accepted_at is not None
    twice = api_client(applicant, language="ko").post(f"/api/v1/applications/{application.pk}/accept/")
    assert twice.status_code == 409 and korean(twice.json()["detail"])


def test_declining_is_refused_unless_selected(draft, applicant):
    refused = api_client(applicant).post(
        f"/api/v1/applications/{draft.pk}/decline/", {"reason": "Not this year."}, format="json"
    )
    assert refused.status_code == 409
    assert reload(draft).state == ApplicationState.DRAFT


# --- Objections ------------------------------------------------------------------------------------


def test_an_applicant_objects_in_the_window_and_staff_decide(submitted, applicant, staff, stranger):
    workflow.decide_eligibility(submitted, by=staff, eligible=False, reason="The lead is not an SME.")
    path = f"/api/v1/applications/{submitted.pk}/objections/"
    assert api_client(stranger).post(path, {"grounds": "We are."}, format="json").status_code == 404
    filed = api_client(applicant).post(path, {"grounds": "Our sales put us in the SME band."}, format="json")
    assert filed.status_code == 201, filed.json()
    assert filed.json()["state"] == "filed" and filed.json()["outcome"] == ApplicationState.INELIGIBLE
    twice = api_client(applicant, language="ko").post(path, {"grounds": "Again."}, format="json")
    assert twice.status_code == 409 and korean(twice.json()["detail"])
    assert [row["id"] for row in api_client(applicant).get(path).json()] == [filed.json()["id"]]

    assert api_client(applicant).get("/api/v1/objections/").status_code == 403
    staff_client = api_client(staff)
    assert [row["id"] for row in staff_client.get("/api/v1/objections/").json()["results"]] == [
        filed.json()["id"]
    ]
    decide = f"/api/v1/objections/{filed.json()['id']}/decide/"
    assert (
        api_client(applicant).post(decide, {"uphold": True, "decision": "x"}, format="json").status_code
        == 403
    )
    unwritten = staff_client.post(decide, {"uphold": True, "decision": " "}, format="json")
    assert unwritten.status_code in (400, 409)
    decided = staff_client.post(
        decide, {"uphold": True, "decision": "The size class is confirmed."}, format="json"
    )
    assert decided.status_code == 200 and decided.json()["state"] == Objection.State.UPHELD
    assert reload(submitted).state != ApplicationState.INELIGIBLE
    assert staff_client.post(decide, {"uphold": False, "decision": "No."}, format="json").status_code == 409


def test_an_objection_after_the_window_is_refused(submitted, applicant, staff):
    workflow.decide_eligibility(submitted, by=staff, eligible=False, reason="The lead is not an SME.")
    Application.objects.filter(pk=submitted.pk).update(notified_at=timezone.now() - timedelta(days=30))
    late = api_client(applicant).post(
        f"/api/v1/applications/{submitted.pk}/objections/", {"grounds": "Late."}, format="json"
    )
    assert late.status_code == 409 and late.json()["detail"].startswith("The objection period ended at ")
    assert not Objection.objects.exists()


# --- Reviews and closing the review ---------------------------------------------------------------


@pytest.fixture
def under_review(role_groups):
    call = evaluation_call("api-eval", "AE26")
    applications = eligible_applications(call, 1)
    reviewers = make_reviewers(call, 5)
    assign_reviewers(call, by=system_user(), seed=1)
    return call, applications[0], reviewers


def test_a_reviewer_scores_and_submits_only_their_own_assignment(under_review, staff):
    call, application, reviewers = under_review
    mine = Assignment.objects.filter(application=application, state="active").select_related("reviewer__user")
    first, second = mine[0], mine[1]
    client = api_client(first.reviewer.user)
    listed = client.get("/api/v1/reviews/").json()["results"]
    assert [row["id"] for row in listed] == [first.pk]
    assert "lead" not in listed[0]  # the application by its reference only
    assert client.get(f"/api/v1/reviews/{second.pk}/").status_code == 404
    detail = client.get(f"/api/v1/reviews/{first.pk}/").json()
    criteria = detail["criteria"]
    assert criteria
    path = f"/api/v1/reviews/{first.pk}/scores/"
    full = [{"criterion": c["id"], "points": str(c["max_points"])} for c in criteria]
    unpledged = api_client(first.reviewer.user, language="ko").post(
        path, {"scores": full, "submit": True}, format="json"
    )
    assert unpledged.status_code == 409 and korean(unpledged.json()["detail"])
    cleared_to_score(first)
    unknown = client.post(path, {"scores": [{"criterion": 10**9, "points": "1"}]}, format="json")
    assert unknown.status_code == 400
    too_many = client.post(
        path, {"scores": [{"criterion": criteria[0]["id"], "points": "1000"}], "submit": True}, format="json"
    )
    assert too_many.status_code == 409 and len(too_many.json()["reasons"]) == len(criteria)
    submitted = client.post(path, {"scores": full, "comment": "Sound plan.", "submit": True}, format="json")
    assert submitted.status_code == 200, submitted.json()
    assert submitted.json()["review_state"] == Review.State.SUBMITTED
    assert len(submitted.json()["scores"]) == len(criteria)
    locked = client.post(path, {"scores": full}, format="json")
    assert locked.status_code == 409
    assert api_client(second.reviewer.user).post(path, {"scores": full}, format="json").status_code == 404
    assert api_client(staff).post(f"/api/v1/calls/{call.slug}/close-review/").status_code == 200


def test_staff_close_the_review_and_others_may_not(under_review, staff, applicant):
    call, application, _reviewers = under_review
    assert api_client(applicant).post(f"/api/v1/calls/{call.slug}/close-review/").status_code == 403
    assert api_client(staff, scope="read").post(f"/api/v1/calls/{call.slug}/close-review/").status_code == 403
    closed = api_client(staff).post(f"/api/v1/calls/{call.slug}/close-review/")
    assert closed.status_code == 200, closed.json()
    # No review is in: the application is not scored on none, it stays under review, with its reason.
    assert closed.json()["scored"] == [] and len(closed.json()["lacking"]) == 1
    assert reload(application).state == ApplicationState.UNDER_REVIEW
    assert not Review.objects.filter(application=application).exists()


def test_answers_named_by_a_correction_are_corrected_and_the_originals_kept(draft, applicant, staff, asked):
    from projects.models import Answer, AnswerRevision

    Application.objects.filter(pk=draft.pk).update(
        state=ApplicationState.SUBMITTED, reference="PC26-0001", submitted_at=timezone.now()
    )
    reception_closed(draft.call)
    asked_for = api_client(staff).post(
        f"/api/v1/applications/{draft.pk}/correction-request/",
        {
            "parts": [{"kind": "answer", "target": "invested"}, {"kind": "answer", "target": "plan"}],
            "message": "Your investment does not match the funding plan.",
            "deadline": (timezone.now() + timedelta(days=3)).isoformat(),
        },
        format="json",
    )
    assert asked_for.status_code == 201, asked_for.json()
    path = f"/api/v1/applications/{draft.pk}/correction/answers/"
    client = api_client(applicant)
    bad = client.post(path, {"answers": {"invested": "a lot"}}, format="json")
    assert bad.status_code == 400 and "invested" in bad.json()["answers"]
    unnamed = client.post(path, {"answers": {"secured": True}}, format="json")
    assert unnamed.status_code == 409 and "does not name this part" in unnamed.json()["detail"]
    corrected = client.post(path, {"answers": {"invested": "5,000,000"}}, format="json")
    assert corrected.status_code == 200, corrected.json()
    assert Answer.objects.get(application=draft, question=asked["invested"]).value == 5_000_000
    [revision] = AnswerRevision.objects.filter(application=draft)
    assert revision.value_before is None and revision.changed_by == applicant
    # A file question's new file goes through the documents, naming the question.
    plan = client.post(
        f"/api/v1/applications/{draft.pk}/documents/",
        {"file": SimpleUploadedFile("site-plan.pdf", pdf_bytes()), "question": "plan"},
        format="multipart",
    )
    assert plan.status_code == 201, plan.json()
    assert Answer.objects.get(application=draft, question=asked["plan"]).document_id == plan.json()["id"]
    items = client.get(f"/api/v1/applications/{draft.pk}/correction/").json()["items"]
    assert [item["corrected"] for item in items] == [True, True]


def test_the_lists_read_in_constant_queries(role_groups, staff, django_assert_max_num_queries):
    call = evaluation_call("api-eval-lists", "AL26")
    applications = eligible_applications(call, 3)
    make_reviewers(call, 5, prefix="lists")
    assign_reviewers(call, by=system_user(), seed=1)
    busiest = (
        Assignment.objects.filter(state="active")
        .values_list("reviewer", flat=True)
        .order_by("reviewer")
        .first()
    )
    mine = list(
        Assignment.objects.filter(reviewer_id=busiest, state="active").select_related("reviewer__user")
    )
    reviewing_client = api_client(mine[0].reviewer.user)
    for assignment in mine:
        cleared_to_score(assignment)
        reviewing_client.post(
            f"/api/v1/reviews/{assignment.pk}/scores/",
            {
                "scores": [
                    {"criterion": c["id"], "points": "1"}
                    for c in reviewing_client.get(f"/api/v1/reviews/{assignment.pk}/").json()["criteria"]
                ]
            },
            format="json",
        )
    for application in applications:
        Objection.objects.create(
            application=application, outcome=ApplicationState.NOT_SELECTED, grounds="Grounds", filed_by=staff
        )
    staff_client = api_client(staff)
    with django_assert_max_num_queries(10):
        assert len(staff_client.get("/api/v1/objections/").json()["results"]) == 3
    with django_assert_max_num_queries(10):
        listed = reviewing_client.get("/api/v1/reviews/").json()["results"]
    assert len(listed) == len(mine) >= 2
    assert all(row["scores"] for row in listed)
