"""What reviewers may open: per call, staff choose the document kinds; a blind call never hands
reviewers a document that names the applicant (the business registration certificate, the
financial statements, the consortium agreement), on the page or by a direct address."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from competitions.models import Call, DocumentKind
from evaluation.models import Assignment
from tests.factories import CallFactory
from tests.projects.conftest import attach

pytestmark = pytest.mark.django_db

IDENTIFYING = ["business_registration", "financial_statements", "consortium_agreement"]


@pytest.fixture
def documents(call, assigned):
    """One document of every kind on the first application."""
    application = assigned[0]
    return {
        kind: attach(application, kind, application.created_by, name=f"{kind}.pdf")
        for kind in DocumentKind.values
    }


@pytest.fixture
def reviewer_client(client, assigned):
    assignment = Assignment.objects.filter(application=assigned[0]).first()
    client.force_login(assignment.reviewer.user)
    client.assignment = assignment
    return client


def document_url(client, document):
    return reverse("evaluation:review_document", args=[client.assignment.pk, document.pk])


def listed(client):
    page = client.get(reverse("evaluation:review_form", args=[client.assignment.pk]))
    return {document.kind for document in page.context["documents"]}


def set_call(call, **fields):
    Call.objects.filter(pk=call.pk).update(**fields)


def test_a_blind_call_withholds_the_registration_certificate_from_reviewers(call, documents, reviewer_client):
    set_call(call, blind_review=True)
    response = reviewer_client.get(document_url(reviewer_client, documents["business_registration"]))
    assert response.status_code == 404
    assert reviewer_client.get(document_url(reviewer_client, documents["proposal"])).status_code == 200
    assert listed(reviewer_client) == {"proposal", "other"}


def test_a_blind_call_withholds_identifying_kinds_whatever_was_stored(call, documents, reviewer_client):
    set_call(call, blind_review=True, reviewer_document_kinds=DocumentKind.values)
    for kind in IDENTIFYING:
        assert reviewer_client.get(document_url(reviewer_client, documents[kind])).status_code == 404, kind
    assert listed(reviewer_client) == {"proposal", "other"}


def test_staff_choose_the_kinds_reviewers_open_in_a_call_that_is_not_blind(call, documents, reviewer_client):
    set_call(call, blind_review=False)
    assert (
        reviewer_client.get(document_url(reviewer_client, documents["financial_statements"])).status_code
        == 404
    )
    set_call(call, reviewer_document_kinds=["proposal", "financial_statements"])
    assert (
        reviewer_client.get(document_url(reviewer_client, documents["financial_statements"])).status_code
        == 200
    )
    assert reviewer_client.get(document_url(reviewer_client, documents["other"])).status_code == 404
    assert listed(reviewer_client) == {"proposal", "financial_statements"}


def test_a_blind_call_refuses_an_identifying_kind_with_the_reason(db):
    call = CallFactory(blind_review=True, reviewer_document_kinds=["proposal", "business_registration"])
    with pytest.raises(ValidationError) as refused:
        call.full_clean()
    assert refused.value.message_dict["reviewer_document_kinds"] == [
        "A blind call cannot let reviewers open documents that name the applicant: "
        "Business registration certificate."
    ]
    # Turning a call blind is refused the same way while such a kind is chosen.
    call = CallFactory(blind_review=False, reviewer_document_kinds=["consortium_agreement"])
    call.full_clean()
    call.blind_review = True
    with pytest.raises(ValidationError) as refused:
        call.full_clean()
    assert "Consortium agreement" in refused.value.message_dict["reviewer_document_kinds"][0]


def test_an_unknown_kind_is_refused(db):
    call = CallFactory(reviewer_document_kinds=["proposal", "cv"])
    with pytest.raises(ValidationError) as refused:
        call.full_clean()
    assert refused.value.message_dict["reviewer_document_kinds"] == ["Unknown kinds of document: cv."]


def admin_form_data(client, call):
    """What the call's admin change page would post back unchanged."""
    response = client.get(reverse("admin:competitions_call_change", args=[call.pk]))
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if hasattr(field.widget, "decompress"):  # split date and time
            day, time = field.widget.decompress(value)
            data[f"{name}_0"], data[f"{name}_1"] = (day or ""), (time.strftime("%H:%M:%S") if time else "")
        elif value is not None and value is not False:  # an unticked box is not posted
            data[name] = value
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
    return data


def test_the_admin_refuses_an_identifying_kind_in_a_blind_call_and_saves_nothing(staff_client, db):
    call = CallFactory(blind_review=True)
    data = admin_form_data(staff_client, call)
    data["reviewer_document_kinds"] = ["proposal", "financial_statements"]
    response = staff_client.post(reverse("admin:competitions_call_change", args=[call.pk]), data)
    assert response.status_code == 200
    assert (
        "A blind call cannot let reviewers open documents that name the applicant: Financial statements."
        in (response.content.decode())
    )
    assert Call.objects.get(pk=call.pk).reviewer_document_kinds == ["proposal", "other"]
    data["reviewer_document_kinds"] = ["proposal"]
    response = staff_client.post(reverse("admin:competitions_call_change", args=[call.pk]), data)
    assert response.status_code == 302
    assert Call.objects.get(pk=call.pk).reviewer_document_kinds == ["proposal"]
