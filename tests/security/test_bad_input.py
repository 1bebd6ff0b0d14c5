"""Bad input through the real forms (the Django test client, as a browser would send it): script
in every free-text field, hostile uploads, impossible amounts, registration numbers and dates,
tampered hidden fields and ids. Each gets a clear, specific message and changes nothing."""

import os
import re
import tempfile

import pytest
from django.core.files import File
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from audit.models import ExportJob
from evaluation.models import Criterion, Objection, Review
from projects.models import (
    Application,
    ApplicationState,
    ConsortiumMember,
    DisbursementEntry,
    Document,
    Expenditure,
    FiscalYear,
    Organisation,
    Project,
)
from tests.factories import ApplicationFactory, reception_closed, registration_number
from tests.projects.samples import docx_bytes, pdf_bytes

from .world import build_world

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
RAW_MARKERS = ("<script>alert(1)", "<img src=x onerror")
ESCAPED_MARKERS = ("&lt;script&gt;alert(1)", "&lt;img src=x onerror")


@pytest.fixture
def world(role_groups, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_world()


def as_user(client, user):
    client.logout()
    client.force_login(user)
    return client


def form_data(form):
    """What a browser would post back for an unbound form: each field's current value."""
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            data[form.add_prefix(name)] = [str(v) for v in value]
        elif isinstance(value, bool):
            if value:
                data[form.add_prefix(name)] = "on"
        else:
            data[form.add_prefix(name)] = str(getattr(value, "pk", value))
    return data


def page_messages(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


def edit_data(client, application, **changes):
    form = client.get(reverse("projects:application_edit", args=[application.pk])).context["form"]
    data = form_data(form)
    data.update({k: str(v) for k, v in changes.items()})
    return data


def organisation_data(client, organisation=None, **changes):
    url = (
        reverse("projects:organisation_edit", args=[organisation.pk])
        if organisation
        else reverse("projects:organisation_create")
    )
    response = client.get(url)
    data = form_data(response.context["form"])
    years = response.context["years"]
    data.update(
        {
            "years-TOTAL_FORMS": "3",
            "years-INITIAL_FORMS": str(years.initial_form_count()),
            "years-MIN_NUM_FORMS": "0",
            "years-MAX_NUM_FORMS": "3",
        }
    )
    this_year = timezone.localdate().year
    for n in range(3):
        data.update(
            {
                f"years-{n}-year": str(this_year - 1 - n),
                f"years-{n}-sales": "62100000000",
                f"years-{n}-total_assets": "40000000000",
            }
        )
    data.update({k: str(v) for k, v in changes.items()})
    return url, data


# --- script in every free-text field ---------------------------------------------------------


def test_script_in_every_text_field_is_shown_escaped_on_every_page(client, world):
    applicant, staff = world.users["applicant"], world.users["staff"]
    reviewer, auditor = world.users["reviewer"], world.users["auditor"]

    as_user(client, applicant)
    url, data = organisation_data(client, world.org, name=f"Org {SCRIPT}")
    assert client.post(url, data).status_code == 302
    assert Organisation.objects.get(pk=world.org.pk).name == f"Org {SCRIPT}", "stored as typed"

    data = edit_data(client, world.draft, title=f"Title {IMG}", summary=f"Summary {SCRIPT}")
    assert client.post(reverse("projects:application_edit", args=[world.draft.pk]), data).status_code == 302
    client.post(
        reverse("projects:document_upload", args=[world.draft.pk]),
        {"kind": "other", "file": SimpleUploadedFile(f"{IMG}.pdf", pdf_bytes())},
    )
    submitted = client.post(reverse("projects:application_submit", args=[world.draft.pk]), follow=True)
    assert Application.objects.get(pk=world.draft.pk).state == ApplicationState.SUBMITTED, page_messages(
        submitted
    )

    # A fresh "not selected" outcome to object to, with script in the grounds.
    lost = ApplicationFactory(
        call=world.eval_call,
        lead=world.org,
        created_by=applicant,
        state=ApplicationState.NOT_SELECTED,
        reference="EV26-0009",
        notified_at=timezone.now(),
    )
    client.post(reverse("evaluation:object", args=[lost.pk]), {"grounds": f"Grounds {SCRIPT}"})
    assert Objection.objects.get(application=lost).grounds == f"Grounds {SCRIPT}"

    evidence = SimpleUploadedFile("receipt.pdf", pdf_bytes())
    response = client.post(
        reverse("projects:my_project", args=[world.project.pk]),
        {
            "spent_on": "2026-06-01",
            "category": Expenditure._meta.get_field("category").choices[0][0],
            "amount": "1000000",
            "description": f"Spent {IMG}",
            "evidence": evidence,
        },
        follow=True,
    )
    assert Expenditure.objects.filter(description=f"Spent {IMG}").exists(), page_messages(response)

    as_user(client, staff)
    reception_closed(world.open_call)  # eligibility is decided once reception has closed
    client.post(
        reverse("projects:staff_application", args=[world.draft.pk]),
        {"action": "reject", "reason": f"Reason {SCRIPT}"},
    )
    assert Application.objects.get(pk=world.draft.pk).state == ApplicationState.INELIGIBLE

    # Staff text the applicant reads: a spending decision and why payments are halted.
    project_url = reverse("projects:project_detail", args=[world.project.pk])
    spent = Expenditure.objects.get(description=f"Spent {IMG}")
    client.post(
        project_url,
        {"action": "decide", "expenditure": spent.pk, "decision": "reject", "reason": f"Rejected {SCRIPT}"},
    )
    client.post(project_url, {"action": "halt", "reason": f"Halted {IMG}"})
    assert Expenditure.objects.get(pk=spent.pk).decision_reason == f"Rejected {SCRIPT}"

    as_user(client, reviewer)
    criteria = Criterion.objects.filter(plan__call=world.eval_call)
    review_data = {"action": "save", "comment": f"Overall {SCRIPT}"}
    for criterion in criteria:
        review_data[f"points-{criterion.pk}"] = "1"
        review_data[f"comment-{criterion.pk}"] = f"On {criterion.pk} {IMG}"
    client.post(reverse("evaluation:review_form", args=[world.assignment.pk]), review_data)
    assert Review.objects.filter(assignment=world.assignment).exists()

    pages = {
        applicant: [
            reverse("projects:dashboard"),
            reverse("projects:organisation_detail", args=[world.org.pk]),
            reverse("projects:application_detail", args=[world.draft.pk]),
            reverse("projects:application_detail", args=[lost.pk]),
            reverse("projects:my_project", args=[world.project.pk]),
        ],
        staff: [
            reverse("projects:eligibility_queue") + "?state=all",
            reverse("projects:staff_application", args=[world.draft.pk]),
            reverse("projects:project_list"),
            reverse("projects:project_detail", args=[world.project.pk]),
            reverse("evaluation:objections"),
            reverse("admin:projects_organisation_changelist"),
            reverse("admin:projects_application_changelist"),
            reverse("admin:projects_application_change", args=[world.draft.pk]),
        ],
        reviewer: [
            reverse("evaluation:review_form", args=[world.assignment.pk]),
        ],
        auditor: [
            reverse("projects:project_list"),
            reverse("projects:project_detail", args=[world.project.pk]),
            reverse("admin:projects_organisation_changelist"),
            reverse("admin:projects_application_changelist"),
        ],
    }
    # Pages that show none of these fields: checked only for raw script.
    quiet = {
        staff: [
            reverse("evaluation:overview", args=[world.eval_call.slug]),
            reverse("admin:projects_expenditure_changelist"),
            reverse("admin:evaluation_objection_changelist"),
        ],
        auditor: [reverse("admin:projects_expenditure_changelist")],
    }
    problems = []
    for user in pages:
        as_user(client, user)
        for url in pages[user] + quiet.get(user, []):
            response = client.get(url)
            html = response.content.decode()
            if response.status_code != 200:
                problems.append(f"{url} as {user.email}: status {response.status_code}")
                continue
            problems += [f"{url} as {user.email}: raw {m!r}" for m in RAW_MARKERS if m in html]
            if url not in quiet.get(user, []) and not any(m in html for m in ESCAPED_MARKERS):
                problems.append(f"{url} as {user.email}: shows none of the entered text")
    assert not problems, "\n".join(problems)


# --- uploads ------------------------------------------------------------------------------------


def upload(client, world, name, content, kind="other"):
    file = File(content, name=name) if hasattr(content, "read") else SimpleUploadedFile(name, content)
    return client.post(
        reverse("projects:document_upload", args=[world.draft.pk]), {"kind": kind, "file": file}, follow=True
    )


def test_an_upload_above_20_mb_is_refused_and_nothing_is_stored(client, world):
    as_user(client, world.users["applicant"])
    before = Document.objects.count()
    # A sparse file: 21 MB long on paper, a few bytes on disk.
    with tempfile.TemporaryFile() as sparse:
        sparse.write(pdf_bytes())
        sparse.seek(21 * 1024 * 1024 - 1)
        sparse.write(b"\0")
        sparse.seek(0)
        response = upload(client, world, "big.pdf", sparse)
    assert "big.pdf is 21.0 MB; the limit is 20 MB." in page_messages(response)
    assert Document.objects.count() == before


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("proposal.docx", pdf_bytes(), "proposal.docx is named .docx but its content is PDF."),
        (
            "setup.pdf",
            b"MZ\x90\x00\x03" + b"\0" * 200,
            "setup.pdf is not a PDF, HWP, HWPX, DOCX or XLSX file.",
        ),
        ("macro.docm", docx_bytes(), "macro.docm must end in .pdf, .hwp, .hwpx, .docx or .xlsx."),
        ("empty.pdf", b"", "The submitted file is empty."),
    ],
)
def test_mislabelled_uploads_are_refused_with_the_reason(client, world, name, content, message):
    as_user(client, world.users["applicant"])
    before = Document.objects.count()
    response = upload(client, world, name, content)
    assert message in " ".join(page_messages(response))
    assert Document.objects.count() == before


@pytest.mark.parametrize(
    ("name", "stored_as"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("/etc/cron.d/evil.pdf", "evil.pdf"),
        ("..\\..\\windows\\boot.pdf", "boot.pdf"),
        ("evil\x00.pdf", "evil.pdf"),
        ("....pdf", "document.pdf"),
    ],
)
def test_hostile_file_names_are_stored_safely_under_random_names(client, world, settings, name, stored_as):
    as_user(client, world.users["applicant"])
    response = upload(client, world, name, pdf_bytes())
    document = Document.objects.filter(application=world.draft, kind="other").get()
    assert document.original_name == stored_as, page_messages(response)
    assert re.fullmatch(rf"applications/{world.draft.pk}/[0-9a-f]{{32}}", document.file.name)
    media = os.path.realpath(settings.MEDIA_ROOT)
    assert os.path.realpath(document.file.path).startswith(media + os.sep)
    download = client.get(reverse("projects:document_download", args=[document.pk]))
    assert f'filename="{stored_as}"' in download["Content-Disposition"]


# --- amounts ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-1", "Ensure this value is greater than or equal to 0."),
        ("99999999999999999999999", "Ensure this value is less than or equal to 9223372036854775807."),
        ("1,000,000", "Enter a whole number."),
        ("3e8", "Enter a whole number."),
        ("１００", None),  # full-width digits: Python reads them as 100; stored as the number 100
    ],
)
def test_impossible_amounts_in_the_funding_plan_are_refused(client, world, value, message):
    as_user(client, world.users["applicant"])
    before = Application.objects.filter(pk=world.draft.pk).values().get()
    data = edit_data(client, world.draft, requested_subsidy=value)
    response = client.post(reverse("projects:application_edit", args=[world.draft.pk]), data)
    after = Application.objects.filter(pk=world.draft.pk).values().get()
    if message is None:
        assert after["requested_subsidy"] == 100
        return
    assert response.status_code == 200
    assert message in response.context["form"].errors["requested_subsidy"]
    assert after == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"action": "pay", "amount": "-5", "paid_on": "2026-06-01"},
            "Ensure this value is greater than or equal to 1.",
        ),
        ({"action": "pay", "amount": "abc", "paid_on": "2026-06-01"}, "Enter a whole number."),
        ({"action": "pay", "amount": str(10**13), "paid_on": "2026-06-01"}, "above the awarded"),
        ({"action": "recover", "amount": "-100"}, "Enter the amount recovered in whole won."),
        ({"action": "recover", "amount": "1e9"}, "Enter the amount recovered in whole won."),
        ({"action": "settle", "interest": "-1"}, "Enter the interest earned in whole won."),
        # Once answered 500 (issue 13, finding 22): a superscript digit passes str.isdigit() but
        # not int(); 10^30 overflows the database's integers; so does a huge tranche.
        ({"action": "recover", "amount": "²"}, "Enter the amount recovered in whole won."),
        ({"action": "recover", "amount": str(10**30)}, "Enter the amount recovered in whole won."),
        ({"action": "settle", "interest": "²"}, "Enter the interest earned in whole won."),
        ({"action": "settle", "interest": str(10**30)}, "Enter the interest earned in whole won."),
        (
            {"action": "pay", "amount": "1000", "paid_on": "2026-06-01", "tranche": str(10**30)},
            "Tranche: Ensure this value is less than or equal to 100.",
        ),
        (
            {"action": "decide", "expenditure": "EXPENDITURE", "decision": "approve", "approved_amount": "²"},
            "Approved amount: Enter a whole number.",
        ),
        ({"action": "decide", "expenditure": "EXPENDITURE"}, "Decision: This field is required."),
    ],
)
def test_impossible_ledger_amounts_are_refused_and_post_nothing(client, world, data, message):
    as_user(client, world.users["staff"])
    if data.get("expenditure") == "EXPENDITURE":
        data = {**data, "expenditure": str(reported_spending(world).pk)}
    before = list(DisbursementEntry.objects.values())
    spending = list(Expenditure.objects.values())
    response = client.post(reverse("projects:project_detail", args=[world.project.pk]), data, follow=True)
    assert any(message in m for m in page_messages(response)), page_messages(response)
    assert list(DisbursementEntry.objects.values()) == before
    assert list(Expenditure.objects.values()) == spending
    assert not world.project.settlements.exists()


def reported_spending(world, amount=5_000_000):
    from django.core.files.base import ContentFile

    from projects import ledger

    return ledger.report_expenditure(
        world.project,
        by=world.users["applicant"],
        spent_on=world.project.starts_on,
        category="equipment",
        amount=amount,
        evidence=ContentFile(pdf_bytes(), name="receipt.pdf"),
    )


@pytest.mark.parametrize(
    ("approved_amount", "message"),
    [
        ("1,000", "Approved amount: Enter a whole number."),
        ("-1", "Approved amount: Ensure this value is greater than or equal to 0."),
        ("", "Approved amount: Enter the amount approved in whole won."),
        ("2.5", "Approved amount: Enter a whole number."),
    ],
)
def test_an_approved_amount_that_is_not_a_whole_number_of_won_approves_nothing(
    client, world, approved_amount, message
):
    """Issue 13, finding 11: "1,000" and "-1" once approved the full amount reported."""
    as_user(client, world.users["staff"])
    spent = reported_spending(world)
    response = client.post(
        reverse("projects:project_detail", args=[world.project.pk]),
        {
            "action": "decide",
            "expenditure": spent.pk,
            "decision": "approve",
            "approved_amount": approved_amount,
        },
        follow=True,
    )
    assert message in page_messages(response)
    spent.refresh_from_db()
    assert (spent.state, spent.approved_amount) == ("reported", None)


@pytest.mark.parametrize("entry", ["abc", "²", "1e3", str(10**30), ""])
def test_reversing_an_entry_named_by_no_number_is_not_found(client, world, entry):
    as_user(client, world.users["staff"])
    before = DisbursementEntry.objects.count()
    response = client.post(
        reverse("projects:project_detail", args=[world.project.pk]),
        {"action": "reverse", "entry": entry, "reason": "tampered"},
    )
    assert response.status_code == 404
    assert DisbursementEntry.objects.count() == before


def test_a_huge_tranche_in_the_bulk_form_posts_nothing(client, world):
    as_user(client, world.users["staff"])
    before = DisbursementEntry.objects.count()
    response = client.post(
        reverse("projects:bulk_tranche"),
        {
            "projects": [str(world.project.pk), "²"],
            "tranche": str(10**30),
            "paid_on": "2026-06-01",
            "percent": "10",
        },
        follow=True,
    )
    assert "Choose projects and fill in the tranche, date and share." in page_messages(response)
    assert DisbursementEntry.objects.count() == before


@pytest.mark.parametrize(
    ("amount", "message"),
    [("-1000", "Ensure this value is greater than or equal to"), ("ten", "Enter a whole number.")],
)
def test_impossible_spending_amounts_are_refused(client, world, amount, message):
    as_user(client, world.users["applicant"])
    response = client.post(
        reverse("projects:my_project", args=[world.project.pk]),
        {
            "spent_on": "2026-06-01",
            "category": Expenditure._meta.get_field("category").choices[0][0],
            "amount": amount,
            "evidence": SimpleUploadedFile("receipt.pdf", pdf_bytes()),
        },
    )
    assert any(message in e for e in response.context["form"].errors["amount"])
    assert not Expenditure.objects.exists()


# --- registration numbers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("12345abcde", "A business registration number has 10 digits, e.g. 123-45-67890."),
        ("123-45-678", "A business registration number has 10 digits, e.g. 123-45-67890."),
        ("<script>1</script>", "A business registration number has 10 digits, e.g. 123-45-67890."),
        (
            registration_number(123456789)[:-1] + str((int(registration_number(123456789)[-1]) + 1) % 10),
            "This business registration number is not valid: its check digit does not match.",
        ),
    ],
)
def test_bad_registration_numbers_are_refused_with_the_reason(client, world, number, message):
    as_user(client, world.users["applicant"])
    before = Organisation.objects.count()
    url, data = organisation_data(client, name="New Co", registration_number=number)
    response = client.post(url, data)
    assert response.status_code == 200
    assert any(message in e for e in response.context["form"].errors["registration_number"])
    assert Organisation.objects.count() == before


def test_a_consortium_member_by_a_bad_number_is_refused(client, world):
    as_user(client, world.users["applicant"])
    before = ConsortiumMember.objects.count()
    response = client.post(
        reverse("projects:member_add", args=[world.draft.pk]),
        {"registration_number": "abcdefghij", "budget_share_percent": "10"},
        follow=True,
    )
    assert any("10 digits" in m for m in page_messages(response))
    assert ConsortiumMember.objects.count() == before


# --- dates outside their windows -------------------------------------------------------------------


def test_submission_after_the_close_is_refused_to_the_second(client, world):
    as_user(client, world.users["applicant"])
    reception_closed(world.open_call)  # time passes (a published deadline is never shortened)
    response = client.post(reverse("projects:application_submit", args=[world.draft.pk]), follow=True)
    assert any(m.startswith("Reception closed at ") for m in page_messages(response))
    draft = Application.objects.get(pk=world.draft.pk)
    assert (draft.state, draft.reference) == (ApplicationState.DRAFT, "")


def test_a_fiscal_year_in_the_future_is_refused(client, world):
    as_user(client, world.users["applicant"])
    url, data = organisation_data(client, name="Future Co", registration_number=registration_number(555))
    data["years-0-year"] = str(timezone.localdate().year + 1)
    response = client.post(url, data)
    assert response.status_code == 200
    assert "A fiscal year cannot be in the future." in response.context["years"].forms[0].errors["year"]
    assert not Organisation.objects.filter(name="Future Co").exists()
    assert not FiscalYear.objects.filter(year=timezone.localdate().year + 1).exists()


@pytest.mark.parametrize(
    ("spent_on", "message"),
    [
        ("2026-04-30", "Spending must fall within the demonstration period, 2026-05-01 to 2026-11-30."),
        ("2099-01-01", "Spending cannot be dated in the future."),
        ("2026-02-30", "Enter a valid date."),
    ],
)
def test_spending_dated_outside_the_project_is_refused(client, world, spent_on, message):
    as_user(client, world.users["applicant"])
    response = client.post(
        reverse("projects:my_project", args=[world.project.pk]),
        {
            "spent_on": spent_on,
            "category": Expenditure._meta.get_field("category").choices[0][0],
            "amount": "1000",
            "evidence": SimpleUploadedFile("receipt.pdf", pdf_bytes()),
        },
        follow=True,
    )
    shown = page_messages(response) + [e for e in response.context["form"].errors.get("spent_on", [])]
    assert any(message in m for m in shown), shown
    assert not Expenditure.objects.exists()


def test_an_agreement_that_ends_before_it_starts_is_refused(client, world):
    as_user(client, world.users["staff"])
    selected = ApplicationFactory(
        call=world.eval_call,
        lead=world.org,
        state=ApplicationState.SELECTED,
        reference="EV26-0010",
        accepted_at=timezone.now(),
    )
    response = client.post(
        reverse("projects:award", args=[selected.pk]),
        {
            "national_subsidy": str(selected.requested_subsidy),
            "signed_on": "2026-05-01",
            "parties": "MOLIT",
            "starts_on": "2026-06-01",
            "ends_on": "2026-05-01",
        },
        follow=True,
    )
    assert "The demonstration must end after it starts." in page_messages(response)
    assert not hasattr(Application.objects.get(pk=selected.pk), "award")


# --- tampered hidden fields and ids ----------------------------------------------------------------


def test_another_organisation_as_lead_is_refused(client, world):
    as_user(client, world.users["applicant"])
    before = Application.objects.count()
    response = client.post(
        reverse("projects:application_start", args=[world.open_call.slug]),
        {"lead": world.other_org.pk, "track": world.open_call.tracks.first().pk, "title": "Hijack"},
    )
    assert response.status_code == 200
    assert "Select a valid choice." in response.context["form"].errors["lead"][0]
    assert Application.objects.count() == before


def test_a_track_of_another_call_is_refused(client, world):
    as_user(client, world.users["applicant"])
    before = Application.objects.filter(pk=world.draft.pk).values().get()
    data = edit_data(client, world.draft, track=world.eval_call.tracks.first().pk)
    response = client.post(reverse("projects:application_edit", args=[world.draft.pk]), data)
    assert "Select a valid choice." in response.context["form"].errors["track"][0]
    assert Application.objects.filter(pk=world.draft.pk).values().get() == before


@pytest.mark.parametrize("version", ["-1", "999", "abc"])
def test_a_changed_version_field_saves_nothing(client, world, version):
    as_user(client, world.users["applicant"])
    before = Application.objects.filter(pk=world.draft.pk).values().get()
    data = edit_data(client, world.draft, title="Overwritten", version=version)
    response = client.post(reverse("projects:application_edit", args=[world.draft.pk]), data)
    shown = page_messages(response) + list(response.context["form"].errors.get("version", []))
    expected = "Enter a whole number." if version == "abc" else "changed"
    assert any(expected in m for m in shown), shown
    assert Application.objects.filter(pk=world.draft.pk).values().get() == before


def test_applying_through_a_closed_calls_slug_creates_nothing(client, world):
    as_user(client, world.users["applicant"])
    before = Application.objects.count()
    response = client.post(
        reverse("projects:application_start", args=[world.closed_call.slug]),
        {"lead": world.org.pk, "track": world.closed_call.tracks.first().pk, "title": "Late"},
        follow=True,
    )
    assert any(m.startswith("Reception closed at ") for m in page_messages(response))
    assert Application.objects.count() == before


def test_removing_another_applications_member_is_refused(client, world):
    other_member = world.consortium_request  # the applicant's org, proposed in another draft
    as_user(client, world.users["applicant"])
    response = client.post(reverse("projects:member_remove", args=[world.draft.pk, other_member.pk]))
    assert response.status_code == 404
    assert ConsortiumMember.objects.filter(pk=other_member.pk).exists()


def test_a_review_score_above_the_maximum_is_refused(client, world):
    as_user(client, world.users["reviewer"])
    criterion = Criterion.objects.filter(plan__call=world.eval_call).first()
    response = client.post(
        reverse("evaluation:review_form", args=[world.assignment.pk]),
        {"action": "save", f"points-{criterion.pk}": str(criterion.max_points + 1)},
        follow=True,
    )
    expected = f"{criterion}: enter a number from 0 to {criterion.max_points.normalize():f}."
    assert expected in page_messages(response)
    assert not Review.objects.filter(assignment=world.assignment).exists()


def test_reversing_another_projects_entry_is_refused(client, world):
    as_user(client, world.users["staff"])
    foreign = DisbursementEntry.objects.get(project=world.project)
    before = DisbursementEntry.objects.count()
    # Another project's page with this project's entry id: not found, nothing posted.
    other = ApplicationFactory(
        call=world.eval_call,
        lead=world.other_org,
        state=ApplicationState.SELECTED,
        reference="EV26-0011",
        accepted_at=timezone.now(),
    )
    from projects import ledger

    award = ledger.create_award(other, by=world.users["staff"])
    project = ledger.sign_agreement(
        award,
        by=world.users["staff"],
        signed_on=world.project.agreement_signed_on,
        parties="MOLIT",
        starts_on=world.project.starts_on,
        ends_on=world.project.ends_on,
    )
    response = client.post(
        reverse("projects:project_detail", args=[project.pk]),
        {"action": "reverse", "entry": foreign.pk, "reason": "tampered"},
    )
    assert response.status_code == 404
    assert DisbursementEntry.objects.count() == before


def test_an_unknown_action_is_refused_and_changes_nothing(client, world):
    """An action the page does not offer ("delete" an entry) is refused, and the entry it names,
    the ledger and the project stay as they were."""
    as_user(client, world.users["staff"])
    entry = world.project.disbursements.first()
    before = list(DisbursementEntry.objects.order_by("pk").values())
    state = world.project.state
    response = client.post(
        reverse("projects:project_detail", args=[world.project.pk]), {"action": "delete", "entry": entry.pk}
    )
    assert response.status_code == 404
    assert list(DisbursementEntry.objects.order_by("pk").values()) == before
    assert Project.objects.values_list("state", flat=True).get(pk=world.project.pk) == state


@pytest.mark.parametrize("role", ["applicant", "auditor", "reviewer"])
def test_a_staff_action_posted_by_another_role_is_refused_and_posts_nothing(client, world, role):
    """The same page's real actions (pay, recover) are staff's: the project's own applicant, the
    auditor (who may read the page) and a reviewer are refused; the ledger does not move."""
    as_user(client, world.users[role])
    before = DisbursementEntry.objects.count()
    for data in (
        {"action": "pay", "amount": "1000", "paid_on": "2026-05-11", "tranche": "9"},
        {"action": "recover", "amount": "1000", "received_on": "2026-05-11"},
    ):
        response = client.post(
            reverse("projects:project_detail", args=[world.project.pk]), data, follow=False
        )
        assert response.status_code == 403
    assert DisbursementEntry.objects.count() == before


def test_someone_elses_export_job_token_is_not_found(client, world):
    as_user(client, world.users["staff"])
    assert client.get(reverse("audit:download", args=[world.export_job.token])).status_code == 404
    assert ExportJob.objects.count() == 1


def test_an_off_site_next_after_a_bulk_decision_stays_on_the_site(client, world):
    as_user(client, world.users["staff"])
    response = client.post(
        reverse("projects:eligibility_bulk"), {"action": "reject", "next": "https://evil.example/"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("projects:eligibility_queue")


# --- parameters that once answered 500 (issue 13, finding 22) ----------------------------------


BAD_CALLS = ["x y", "\x00", "%00", "a\x00b", "ü" * 300]


@pytest.mark.parametrize("call", BAD_CALLS)
def test_a_strange_call_in_a_filter_answers_a_page_not_an_error(client, world, call):
    as_user(client, world.users["staff"])
    client.raise_request_exception = False  # collect every 500, not only the first
    pages = [
        reverse("projects:eligibility_queue"),
        reverse("projects:project_list"),
        reverse("admin:projects_application_changelist"),
        reverse("admin:evaluation_selectionrun_changelist"),
        reverse("admin:competitions_track_changelist"),
        reverse("evaluation:selection", args=[world.eval_call.slug]),
        reverse("evaluation:overview", args=[world.eval_call.slug]),
    ]
    problems = []
    for url in pages:
        for name in ("call", "call__id__exact", "application__call__id__exact", "outcome", "state", "page"):
            response = client.get(url, {name: call})
            if response.status_code >= 500:
                problems.append(f"{url}?{name}={call!r}: {response.status_code}")
    assert not problems, "\n".join(problems)


def test_a_call_filter_that_is_no_address_says_so_and_shows_every_call(client, world):
    as_user(client, world.users["staff"])
    response = client.get(reverse("projects:eligibility_queue"), {"call": "x y", "state": "all"})
    assert response.status_code == 200
    assert "No call has this address; every call is shown." in page_messages(response)
    assert "call" not in response.context["filters"]


@pytest.mark.parametrize("where", ["query", "key", "form"])
def test_a_nul_character_in_any_parameter_is_a_bad_request(client, world, where):
    """PostgreSQL cannot compare text holding NUL: refused with 400 before any view runs."""
    as_user(client, world.users["staff"])
    before = list(DisbursementEntry.objects.values())
    url = reverse("admin:projects_application_changelist")
    if where == "query":
        response = client.get(url, {"state": "sub\x00mitted"})
    elif where == "key":
        response = client.get(url + "?st%00ate=1")
    else:
        response = client.post(
            reverse("projects:project_detail", args=[world.project.pk]),
            {"action": "recover", "amount": "1000", "reference": "R\x00"},
        )
    assert response.status_code == 400
    assert b"NUL character" in response.content
    assert list(DisbursementEntry.objects.values()) == before
