"""The applicant and staff pages through the real forms, and object permissions on every view."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from competitions.models import Region
from projects.models import Application, ApplicationState, Document, Organisation
from tests.factories import ApplicationFactory, OrganisationFactory, StaffFactory, registration_number

from .samples import docx_bytes, hwp_bytes, pdf_bytes

pytestmark = pytest.mark.django_db


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


# --- accounts and organisations -------------------------------------------------------------


def test_sign_up_by_email_then_register_an_organisation_and_see_its_size_class(client, role_groups):
    response = client.post(
        reverse("accounts:signup"),
        {
            "email": "New@Company.example",
            "password1": "a-long-unusual-pass-7",
            "password2": "a-long-unusual-pass-7",
            "consent": "on",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("projects:dashboard")
    data = {
        "name": "Busan Parking Tech",
        "registration_number": "617-81-01238",
        "kind": "company",
        "region": Region.objects.get(slug="busan").pk,
        "industry": "ict",
        "years-TOTAL_FORMS": "3",
        "years-INITIAL_FORMS": "0",
        "years-MIN_NUM_FORMS": "0",
        "years-MAX_NUM_FORMS": "3",
        "years-0-year": "2023",
        "years-0-sales": "50000000000",
        "years-0-total_assets": "30000000000",
        "years-1-year": "2024",
        "years-1-sales": "70000000000",
        "years-1-total_assets": "35000000000",
        "years-2-year": "2025",
        "years-2-sales": "66300000000",
        "years-2-total_assets": "40000000000",
    }
    response = client.post(reverse("projects:organisation_create"), data, follow=True)
    organisation = Organisation.objects.get(name="Busan Parking Tech")
    assert organisation.registration_number == "6178101238"
    assert organisation.size_class == "sme"
    assert organisation.size_class_reason == (
        "average sales 62.1 bn KRW ≤ 80 bn band for Information and communication; assets below 500 bn"
    )
    assert organisation.memberships.get().user.email == "new@company.example"
    assert "62.1 bn KRW" in response.content.decode()


def test_registration_number_with_a_bad_check_digit_is_refused(client, applicant):
    client.force_login(applicant)
    response = client.post(
        reverse("projects:organisation_create"), {"name": "X", "registration_number": "617-81-01239"}
    )
    assert "its check digit does not match" in response.content.decode()
    assert not Organisation.objects.filter(name="X").exists()


def test_registration_numbers_are_unique(client, applicant, organisation):
    client.force_login(applicant)
    response = client.post(
        reverse("projects:organisation_create"),
        {"name": "Copy", "registration_number": organisation.registration_number},
    )
    assert "This business registration number is already registered in Gongmo." in response.content.decode()


def test_organisation_pages_are_private(client, organisation, stranger):
    client.force_login(stranger)
    assert client.get(reverse("projects:organisation_detail", args=[organisation.pk])).status_code == 404
    assert client.get(reverse("projects:organisation_edit", args=[organisation.pk])).status_code == 404


# --- applying -------------------------------------------------------------------------------


def test_apply_edit_upload_and_submit_through_the_pages(client, applicant, organisation, open_call):
    client.force_login(applicant)
    response = client.post(
        reverse("projects:application_start", args=[open_call.slug]),
        {
            "lead": organisation.pk,
            "track": open_call.tracks.get().pk,
            "title": "Smart parking in Eco Delta City",
        },
    )
    application = Application.objects.get(title="Smart parking in Eco Delta City")
    assert response.url == reverse("projects:application_edit", args=[application.pk])

    form = {
        "title": "Smart parking in Eco Delta City",
        "summary": "Sensors and an app",
        "track": open_call.tracks.get().pk,
        "requested_subsidy": "320000000",
        "local_government": "0",
        "private_cash": "140000000",
        "private_in_kind": "60000000",
        "version": "1",
    }
    client.post(reverse("projects:application_edit", args=[application.pk]), form)
    detail = client.get(reverse("projects:application_detail", args=[application.pk])).content.decode()
    assert "320,000,000 KRW is above the maximum of 300,000,000 KRW" in detail  # the self-check

    response = client.post(reverse("projects:application_submit", args=[application.pk]), follow=True)
    assert any("above the maximum" in m for m in messages_of(response))
    assert Application.objects.get(pk=application.pk).state == ApplicationState.DRAFT

    client.post(
        reverse("projects:application_edit", args=[application.pk]),
        {**form, "requested_subsidy": "300000000", "version": "2"},
    )
    for kind, name, content in [
        ("proposal", "plan.hwp", hwp_bytes()),
        ("business_registration", "cert.pdf", pdf_bytes()),
    ]:
        client.post(
            reverse("projects:document_upload", args=[application.pk]),
            {"kind": kind, "file": SimpleUploadedFile(name, content)},
        )
    response = client.post(reverse("projects:application_submit", args=[application.pk]), follow=True)
    application.refresh_from_db(fields=["reference"])
    assert application.reference == "PC26-0001"
    assert "Submitted. Your reference number is PC26-0001." in messages_of(response)


def test_second_tab_gets_a_conflict_message_not_a_silent_overwrite(client, applicant, draft):
    client.force_login(applicant)
    form = {
        "title": "Tab one",
        "track": draft.track_id,
        "requested_subsidy": "300000000",
        "local_government": "0",
        "private_cash": "140000000",
        "private_in_kind": "60000000",
        "version": str(draft.version),
    }
    client.post(reverse("projects:application_edit", args=[draft.pk]), form)
    response = client.post(
        reverse("projects:application_edit", args=[draft.pk]), {**form, "title": "Tab two"}
    )
    assert any("changed elsewhere" in m for m in messages_of(response))
    assert Application.objects.get(pk=draft.pk).title == "Tab one"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("plan.pdf", b"", "The submitted file is empty."),
        ("plan.pdf", b"just text", "plan.pdf is not a PDF, HWP, HWPX, DOCX or XLSX file."),
        ("plan.docx", None, "plan.docx is named .docx but its content is PDF."),
        ("plan.exe", None, "plan.exe must end in .pdf, .hwp, .hwpx, .docx or .xlsx."),
        ("../../etc/passwd.xlsx", None, "passwd.xlsx is named .xlsx but its content is PDF."),
    ],
)
def test_bad_uploads_are_refused_with_a_clear_message_and_store_nothing(
    client, applicant, draft, name, content, message
):
    client.force_login(applicant)
    before = Document.objects.count()
    response = client.post(
        reverse("projects:document_upload", args=[draft.pk]),
        {"kind": "other", "file": SimpleUploadedFile(name, pdf_bytes() if content is None else content)},
        follow=True,
    )
    assert message in messages_of(response)
    assert Document.objects.count() == before


def test_oversized_upload_is_refused(client, applicant, draft, settings):
    client.force_login(applicant)
    big = SimpleUploadedFile("big.pdf", pdf_bytes() + b"0" * (20 * 1024 * 1024))
    response = client.post(
        reverse("projects:document_upload", args=[draft.pk]), {"kind": "other", "file": big}, follow=True
    )
    assert any("the limit is 20 MB" in m for m in messages_of(response))
    assert not draft.documents.filter(kind="other").exists()


def test_a_new_upload_supersedes_the_old_one_which_is_kept(client, applicant, draft):
    client.force_login(applicant)
    client.post(
        reverse("projects:document_upload", args=[draft.pk]),
        {"kind": "proposal", "file": SimpleUploadedFile("v2.docx", docx_bytes())},
    )
    proposals = draft.documents.filter(kind="proposal")
    assert proposals.count() == 2
    assert proposals.get(superseded=False).original_name == "v2.docx"


def test_documents_download_for_the_owner_and_staff_only(client, applicant, draft, stranger, role_groups):
    document = draft.documents.first()
    url = reverse("projects:document_download", args=[document.pk])
    client.force_login(applicant)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    client.force_login(stranger)
    assert client.get(url).status_code == 404
    client.force_login(StaffFactory())
    assert client.get(url).status_code == 200
    client.logout()
    assert client.get(url).status_code == 302  # to the login page


def test_uploads_are_stored_outside_static_and_under_random_names(draft, settings):
    document = draft.documents.first()
    assert str(settings.MEDIA_ROOT) in document.file.path
    assert "proposal" not in document.file.name
    assert not settings.MEDIA_URL or settings.MEDIA_URL == "/"  # no public media URL is routed


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("projects:application_detail", "get"),
        ("projects:application_edit", "get"),
        ("projects:application_edit", "post"),
        ("projects:application_submit", "post"),
        ("projects:application_withdraw", "post"),
        ("projects:member_add", "post"),
        ("projects:document_upload", "post"),
    ],
)
def test_other_organisations_get_404_on_every_application_view(client, draft, stranger, name, method):
    client.force_login(stranger)
    response = getattr(client, method)(reverse(name, args=[draft.pk]))
    assert response.status_code == 404
    stored = Application.objects.get(pk=draft.pk)
    assert (stored.state, stored.title) == (draft.state, draft.title)


def test_guessing_ids_reveals_nothing(client, draft, stranger):
    """Another organisation's application answers exactly as an id that does not exist: the
    stranger cannot even tell that it exists."""
    client.force_login(stranger)
    missing = Application.objects.order_by("-pk").first().pk + 1000
    theirs_url = reverse("projects:application_detail", args=[draft.pk])
    missing_url = reverse("projects:application_detail", args=[missing])
    theirs, nothing = client.get(theirs_url), client.get(missing_url)
    assert theirs.status_code == nothing.status_code == 404
    assert draft.title not in theirs.content.decode()

    # The pages differ at most by the path each was asked for (the language switcher's "next")
    # and the CSRF token of the 404 page's forms, masked afresh for every response.
    def page(response, url):
        return re.sub(
            r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode().replace(url, "")
        )

    assert page(theirs, theirs_url) == page(nothing, missing_url)


def test_dashboard_lists_only_my_organisations_applications(client, applicant, draft, stranger):
    other = Organisation.objects.get(name="Other Company")
    ApplicationFactory(call=draft.call, lead=other, title="Their secret plan", created_by=stranger)
    client.force_login(applicant)
    page = client.get(reverse("projects:dashboard")).content.decode()
    assert draft.title in page
    assert "Their secret plan" not in page


def test_consortium_member_added_by_registration_number(client, applicant, draft):
    partner = OrganisationFactory(
        name="Sejong Urban Data Lab", registration_number=registration_number(307820456)
    )
    client.force_login(applicant)
    client.post(
        reverse("projects:member_add", args=[draft.pk]),
        {"registration_number": partner.registration_number, "budget_share_percent": "20"},
    )
    assert draft.consortium_members.get().organisation == partner
    response = client.post(
        reverse("projects:member_add", args=[draft.pk]),
        {"registration_number": partner.registration_number, "budget_share_percent": "10"},
        follow=True,
    )
    assert "This organisation is already a member." in messages_of(response)


def test_apply_refused_after_the_close(client, applicant, organisation, open_call):
    from django.utils import timezone

    type(open_call).objects.filter(pk=open_call.pk).update(
        closes_at=timezone.now() - timezone.timedelta(seconds=1)
    )
    client.force_login(applicant)
    response = client.get(reverse("projects:application_start", args=[open_call.slug]), follow=True)
    assert any(m.startswith("Reception closed at ") for m in messages_of(response))


def test_the_upload_hint_follows_the_readers_language(client, applicant, draft):
    client.force_login(applicant)
    url = reverse("projects:application_detail", args=[draft.pk])
    assert (
        "PDF, HWP, HWPX, DOCX or XLSX, at most 20 MB."
        in client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )
    korean = client.get(url, HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "PDF, HWP, HWPX, DOCX or XLSX, at most 20 MB." not in korean
    assert "20MB" in korean or "20 MB" in korean


def test_history_names_the_states_by_their_translated_labels(client, applicant, draft):
    from django.utils import translation

    from projects import workflow

    workflow.withdraw(draft, by=applicant, reason="Nous changeons de projet")
    client.force_login(applicant)
    url = reverse("projects:application_detail", args=[draft.pk])
    page = client.get(url).content.decode()
    assert "Draft → Withdrawn" in page
    assert "draft → withdrawn" not in page
    assert "Nous changeons de projet" in page  # the note stays as it was written

    client.post(reverse("set_language"), {"language": "ko", "next": "/"})
    page = client.get(url).content.decode()
    with translation.override("ko"):
        labels = f"{ApplicationState.DRAFT.label} → {ApplicationState.WITHDRAWN.label}"
    assert labels in page
    assert "Nous changeons de projet" in page
