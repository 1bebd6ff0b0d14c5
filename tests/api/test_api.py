"""The API v1 through the same domain functions as the pages: public calls; an applicant's
organisations and applications (start, change a draft with its answers, upload documents,
submit); staff's filtered list, eligibility decisions, assignments, preview and runs; auditors'
projects and ledgers, read only; pagination, throttling, the schema and its docs page."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_fsm_log.models import StateLog

from accounts.roles import Role
from competitions.models import CallState
from projects.models import Answer, Application, Document
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    OrganisationFactory,
    TrackFactory,
    UserFactory,
    call_in_state,
    reception_closed,
    selected_in_a_confirmed_run,
    signed_project,
)
from tests.projects.samples import pdf_bytes

from .conftest import api_client

pytestmark = pytest.mark.django_db


def korean(text):
    return any("\uac00" <= ch <= "\ud7a3" for ch in text)


# --- Public calls ------------------------------------------------------------------------------


def test_anyone_reads_the_public_calls_never_a_draft(open_call):
    hidden = CallFactory(slug="not-yet", state=CallState.DRAFT)
    client = api_client()
    listed = client.get("/api/v1/calls/").json()
    assert [call["slug"] for call in listed["results"]] == [open_call.slug]
    assert listed["results"][0]["tracks"][0]["name"] == "SME-led"
    assert client.get(f"/api/v1/calls/{open_call.slug}/").json()["budget_total"] == 3_790_000_000
    assert client.get(f"/api/v1/calls/{hidden.slug}/").status_code == 404


# --- Applicants ---------------------------------------------------------------------------------


def test_an_applicant_starts_changes_and_submits_a_draft(open_call, organisation, applicant, asked):
    client = api_client(applicant)
    started = client.post(
        "/api/v1/applications/",
        {
            "call": open_call.slug,
            "lead": organisation.pk,
            "track": open_call.tracks.get().pk,
            "title": "Parking",
        },
        format="json",
    )
    assert started.status_code == 201, started.json()
    pk = started.json()["id"]
    assert started.json()["state"] == "draft"
    changed = client.patch(
        f"/api/v1/applications/{pk}/",
        {
            "version": 1,
            "requested_subsidy": 300_000_000,
            "private_cash": 140_000_000,
            "private_in_kind": 60_000_000,
            "answers": {"secured": True, "invested": "5,000,000", "areas": ["2", "1"]},
        },
        format="json",
    )
    assert changed.status_code == 200, changed.json()
    body = changed.json()
    assert body["version"] == 2 and body["requested_subsidy"] == 300_000_000 and body["title"] == "Parking"
    stored = {
        a.question.code: a.value for a in Answer.objects.filter(application_id=pk).select_related("question")
    }
    assert stored == {"secured": True, "invested": 5_000_000, "areas": ["1", "2"]}
    # Documents, checked by content: the proposal, the certificate, and the site plan's file.
    for kind in ("proposal", "business_registration"):
        uploaded = client.post(
            f"/api/v1/applications/{pk}/documents/",
            {"kind": kind, "file": SimpleUploadedFile(f"{kind}.pdf", pdf_bytes())},
            format="multipart",
        )
        assert uploaded.status_code == 201, uploaded.json()
    plan = client.post(
        f"/api/v1/applications/{pk}/documents/",
        {"question": "plan", "file": SimpleUploadedFile("plan.pdf", pdf_bytes())},
        format="multipart",
    )
    assert plan.status_code == 201
    assert Answer.objects.get(application_id=pk, question__code="plan").document_id == plan.json()["id"]
    submitted = client.post(f"/api/v1/applications/{pk}/submit/")
    assert submitted.status_code == 200, submitted.json()
    assert submitted.json()["reference"] == "PC26-0001" and submitted.json()["state"] == "submitted"
    log = StateLog.objects.for_(Application.objects.get(pk=pk)).get()
    assert log.by == applicant and log.transition == "submit"
    again = client.post(f"/api/v1/applications/{pk}/submit/")
    assert again.status_code == 409
    assert again.json()["reasons"] == ["This application was already submitted as PC26-0001."]


def test_bad_answers_and_fields_are_refused_by_name_and_change_nothing(draft, applicant, asked):
    other_track = TrackFactory(call=CallFactory(state=CallState.PUBLISHED))
    client = api_client(applicant, language="ko")
    response = client.patch(
        f"/api/v1/applications/{draft.pk}/",
        {
            "version": draft.version,
            "track": other_track.pk,
            "answers": {"secured": "maybe", "nope": "x", "plan": "y"},
        },
        format="json",
    )
    assert response.status_code == 400
    errors = response.json()
    assert "track" in errors  # the fields' refusals and the answers', at once
    assert set(errors["answers"]) == {"secured", "nope", "plan"}
    assert korean(errors["answers"]["secured"][0])
    assert not Answer.objects.filter(application=draft).exists()
    response = client.patch(
        f"/api/v1/applications/{draft.pk}/",
        {"version": draft.version, "track": other_track.pk},
        format="json",
    )
    assert response.status_code == 400 and "track" in response.json()
    assert Application.objects.get(pk=draft.pk).version == draft.version
    # Money beyond what the database holds is bad input, not a crash.
    response = client.patch(
        f"/api/v1/applications/{draft.pk}/", {"version": 1, "requested_subsidy": 2**64}, format="json"
    )
    assert response.status_code == 400 and "requested_subsidy" in response.json()


def test_a_stale_version_is_refused_instead_of_overwriting(draft, applicant):
    client = api_client(applicant)
    assert (
        client.patch(
            f"/api/v1/applications/{draft.pk}/", {"version": 1, "title": "First"}, format="json"
        ).status_code
        == 200
    )
    stale = client.patch(
        f"/api/v1/applications/{draft.pk}/", {"version": 1, "title": "Second"}, format="json"
    )
    assert stale.status_code == 409 and "changed elsewhere" in stale.json()["detail"]
    assert Application.objects.get(pk=draft.pk).title == "First"


def test_a_file_is_checked_by_its_content_and_refused_with_a_message(draft, applicant):
    client = api_client(applicant, language="ko")
    for name, content in (("proposal.pdf", b"GIF89a not a pdf"), ("proposal.docx", pdf_bytes())):
        response = client.post(
            f"/api/v1/applications/{draft.pk}/documents/",
            {"kind": "proposal", "file": SimpleUploadedFile(name, content)},
            format="multipart",
        )
        assert response.status_code == 400, name
        assert korean(response.json()["file"][0])
    assert Document.objects.filter(application=draft).count() == 2


def test_submission_is_refused_after_the_deadline_and_while_a_rule_fails(draft, applicant):
    client = api_client(applicant)
    client.patch(f"/api/v1/applications/{draft.pk}/", {"version": 1, "requested_subsidy": 10}, format="json")
    refused = client.post(f"/api/v1/applications/{draft.pk}/submit/")
    assert refused.status_code == 409
    assert any("below the minimum" in reason for reason in refused.json()["reasons"])
    reception_closed(draft.call)
    refused = client.post(f"/api/v1/applications/{draft.pk}/submit/")
    assert refused.status_code == 409 and "Reception closed" in refused.json()["detail"]
    assert Application.objects.get(pk=draft.pk).state == "draft"


def test_an_applicant_never_reaches_another_organisations_objects(draft, applicant, stranger):
    theirs = ApplicationFactory(
        call=draft.call, lead=OrganisationFactory(owners=[stranger]), created_by=stranger
    )
    client = api_client(applicant)
    assert [row["id"] for row in client.get("/api/v1/applications/").json()["results"]] == [draft.pk]
    assert client.get(f"/api/v1/applications/{theirs.pk}/").status_code == 404
    assert (
        client.patch(
            f"/api/v1/applications/{theirs.pk}/", {"version": 1, "title": "x"}, format="json"
        ).status_code
        == 404
    )
    upload = {"kind": "proposal", "file": SimpleUploadedFile("p.pdf", pdf_bytes())}
    assert (
        client.post(f"/api/v1/applications/{theirs.pk}/documents/", upload, format="multipart").status_code
        == 404
    )
    assert client.post(f"/api/v1/applications/{theirs.pk}/submit/").status_code == 404
    assert client.get(f"/api/v1/organisations/{theirs.lead_id}/").status_code == 404
    started = client.post(
        "/api/v1/applications/",
        {"call": draft.call.slug, "lead": theirs.lead_id, "track": draft.track_id, "title": "Not mine"},
        format="json",
    )
    assert started.status_code == 400 and "lead" in started.json()
    assert Application.objects.get(pk=theirs.pk).title == theirs.title


def test_an_applicant_may_not_call_staff_or_auditor_operations(draft, applicant):
    client = api_client(applicant)
    assert (
        client.post(
            f"/api/v1/applications/{draft.pk}/eligibility/", {"eligible": True}, format="json"
        ).status_code
        == 403
    )
    assert client.get(f"/api/v1/calls/{draft.call.slug}/runs/").status_code == 403
    assert client.get("/api/v1/projects/").status_code == 403


# --- Staff -------------------------------------------------------------------------------------


def _submitted(call, n):
    rows = []
    for _ in range(n):
        number = Application.objects.filter(call=call).count() + 1
        application = ApplicationFactory(call=call, reference=f"T-{number:04d}")
        Application.objects.filter(pk=application.pk).update(state="submitted", submitted_at=timezone.now())
        rows.append(application)
    return rows


def test_staff_list_submitted_applications_with_filters_in_constant_queries(
    open_call, staff, django_assert_max_num_queries
):
    other = CallFactory(slug="other", state=CallState.PUBLISHED)
    TrackFactory(call=other)
    _submitted(open_call, 3)
    _submitted(other, 2)
    client = api_client(staff)
    with django_assert_max_num_queries(8):
        few = client.get(f"/api/v1/applications/?call={open_call.slug}&state=submitted").json()
    assert few["count"] == 3
    _submitted(open_call, 12)
    with django_assert_max_num_queries(8):
        many = client.get(f"/api/v1/applications/?call={open_call.slug}&page_size=10").json()
    assert many["count"] == 15 and len(many["results"]) == 10 and many["next"]
    assert client.get("/api/v1/applications/?track=99999999999999999999999").status_code == 200
    assert client.get("/api/v1/applications/?page=999").status_code == 404


def test_staff_decide_eligibility_through_the_workflow(open_call, staff):
    application = _submitted(open_call, 1)[0]
    client = api_client(staff)
    early = client.post(
        f"/api/v1/applications/{application.pk}/eligibility/", {"eligible": True}, format="json"
    )
    assert early.status_code == 409  # reception still open
    reception_closed(open_call)
    no_reason = client.post(
        f"/api/v1/applications/{application.pk}/eligibility/", {"eligible": False}, format="json"
    )
    assert no_reason.status_code == 409 and "reason" in no_reason.json()["detail"]
    decided = client.post(
        f"/api/v1/applications/{application.pk}/eligibility/", {"eligible": True}, format="json"
    )
    assert decided.status_code == 200 and decided.json()["state"] == "eligible"
    log = StateLog.objects.for_(Application.objects.get(pk=application.pk)).latest("timestamp")
    assert log.by == staff and log.transition == "confirm_eligible"


def test_staff_read_assignments_preview_and_runs(open_call, staff):
    call = call_in_state(open_call, CallState.EVALUATION)
    client = api_client(staff)
    assert client.get(f"/api/v1/calls/{call.slug}/assignments/").json()["count"] == 0
    refused = client.post(f"/api/v1/calls/{call.slug}/assignments/", {"seed": 1}, format="json")
    assert refused.status_code == 409 and "evaluation plan" in refused.json()["detail"]
    preview = client.get(f"/api/v1/calls/{call.slug}/selection-preview/")
    assert preview.status_code == 409 and "evaluation plan" in preview.json()["detail"]
    assert client.get(f"/api/v1/calls/{call.slug}/runs/").json()["results"] == []
    assert client.post(f"/api/v1/calls/{call.slug}/runs/").status_code == 409
    assert not call.selection_runs.exists()
    assert client.post(f"/api/v1/calls/{call.slug}/runs/7/confirm/", {}, format="json").status_code == 404


# --- Auditors ---------------------------------------------------------------------------------


def test_auditors_read_projects_and_ledgers_and_change_nothing(open_call, staff, auditor):
    application = selected_in_a_confirmed_run(ApplicationFactory(call=open_call), by=staff)
    project = signed_project(application, by=staff)
    client = api_client(auditor)
    listed = client.get("/api/v1/projects/").json()["results"]
    assert [row["code"] for row in listed] == [project.code]
    assert listed[0]["national_subsidy"] == 300_000_000 and listed[0]["paid"] == 0
    ledger = client.get(f"/api/v1/projects/{project.code}/ledger/").json()
    assert ledger == {"project": project.code, "disbursements": [], "expenditures": [], "settlements": []}
    assert client.post("/api/v1/projects/", {}, format="json").status_code == 405
    assert (
        client.post(
            f"/api/v1/applications/{application.pk}/eligibility/", {"eligible": True}, format="json"
        ).status_code
        == 403
    )


# --- Throttling, schema, docs ---------------------------------------------------------------------


def test_calls_beyond_the_rate_are_throttled_with_a_translated_message(applicant, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "2/min", "user": "3/min"})
    client = api_client(applicant, language="ko")
    statuses = [client.get("/api/v1/organisations/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get("/api/v1/organisations/")
    assert korean(response.json()["detail"]) and int(response["Retry-After"]) > 0
    anonymous = api_client()
    assert [anonymous.get("/api/v1/calls/").status_code for _ in range(3)] == [200, 200, 429]


def test_the_schema_and_its_docs_are_served_here_without_a_cdn(client):
    schema = client.get("/api/schema/?format=json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/applications/{id}/submit/" in paths and "/api/v1/projects/{code}/ledger/" in paths
    assert schema.json()["components"]["securitySchemes"]["personalAccessToken"]["scheme"] == "bearer"
    for page in ("/api/docs/", "/api/redoc/"):
        html = client.get(page).content.decode()
        assert "/static/drf_spectacular_sidecar/" in html
        assert "cdn" not in html.lower() and "unpkg" not in html.lower()


def test_refusals_under_the_api_are_json_not_pages(applicant):
    response = api_client(applicant).get("/api/v1/calls/?q=%00")
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    assert "NUL" in response.json()["detail"]


def test_a_token_is_needed_for_anything_but_the_public_calls():
    response = api_client().get("/api/v1/organisations/")
    assert response.status_code == 401


def test_expired_tokens_of_a_staff_member_are_refused(role_groups):
    from api.tokens import create_token

    staff = UserFactory(roles=[Role.STAFF])
    _token, raw = create_token(
        staff, name="x", scope="read", days=7, now=timezone.now() - timedelta(days=7, seconds=1)
    )
    client = api_client()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/applications/").status_code == 401
