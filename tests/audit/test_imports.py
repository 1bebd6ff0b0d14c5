"""Spreadsheet imports and exports in the admin: organisations, reviewers and calls.

An import is previewed first (a dry run, rolled back) and written only when the preview is
confirmed; a file with a bad row shows the row's error in plain words, offers no confirmation
and writes nothing. Exports cannot smuggle formulae or illegal characters into a spreadsheet.
"""

import csv
import io
from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from accounts.roles import Role
from competitions.models import Call, CallState
from competitions.resources import CallResource
from evaluation.models import Reviewer
from projects.models import FiscalYear, Organisation
from projects.registration_number import format_registration_number
from tests.factories import CallFactory, OrganisationFactory, UserFactory, registration_number

pytestmark = pytest.mark.django_db

ORGANISATION_HEADER = [
    "name",
    "registration_number",
    "kind",
    "region",
    "industry",
    "largest_shareholder_share_percent",
    "largest_shareholder_assets",
    "in_disclosed_large_group",
    "in_mutual_investment_restricted_group",
    "women_owned",
]
BAD_CHECK_DIGIT = "This business registration number is not valid: its check digit does not match."


def valid_number(n):
    return format_registration_number(registration_number(n))  # 123-45-67890 form


def bad_number(n):
    digits = registration_number(n)
    return format_registration_number(digits[:9] + str((int(digits[9]) + 1) % 10))


# --- uploading ----------------------------------------------------------------------------


def xlsx(rows):
    book = Workbook()
    for row in rows:
        book.active.append(row)
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    data.name = "upload.xlsx"
    return data


def csv_file(rows):
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    data = io.BytesIO(text.getvalue().encode())
    data.name = "upload.csv"
    return data


FILES = {"xlsx": xlsx, "csv": csv_file}


def model_admin(model):
    return admin.site._registry[model]


def format_index(formats, title):
    return str([fmt().get_title() for fmt in formats].index(title))


def preview(client, model, rows, kind="xlsx"):
    """Step one: upload; the response is the dry run's preview."""
    opts = model._meta
    return client.post(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_import"),
        {
            "format": format_index(model_admin(model).get_import_formats(), kind),
            "import_file": FILES[kind](rows),
        },
    )


def confirm(client, model, response):
    """Step two: confirm the preview, as its "Confirm import" button does."""
    opts = model._meta
    form = response.context["confirm_form"]
    return client.post(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_process_import"),
        {name: form.initial.get(name, "") for name in form.fields},
        follow=True,
    )


def export(client, model, fields, kind="xlsx"):
    opts = model._meta
    resource = model_admin(model).get_export_resource_classes(None)[0]
    return client.post(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_export"),
        {
            "format": format_index(model_admin(model).get_export_formats(), kind),
            "resource": "0",
            **{f"{resource.__name__.lower()}_{field}": "on" for field in fields},
        },
    )


def page(response):
    return response.content.decode()


@pytest.fixture
def reviewer_manager_client(client, role_groups):
    """Staff who also manage reviewers (the staff role alone does not see reviewers)."""
    user = UserFactory(is_staff=True, roles=[Role.STAFF])
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="evaluation", codename__in=["view_reviewer", "change_reviewer"]
        )
    )
    client.force_login(user)
    return client


@pytest.fixture
def auditor_client(client, role_groups):
    client.force_login(UserFactory(is_staff=True, roles=[Role.AUDITOR]))
    return client


# --- formats and permissions --------------------------------------------------------------


@pytest.mark.parametrize("model", [Organisation, Reviewer, Call])
def test_csv_and_xlsx_are_offered_for_import_and_export(model):
    modeladmin = model_admin(model)
    for formats in (modeladmin.get_import_formats(), modeladmin.get_export_formats()):
        assert {"csv", "xlsx"} <= {fmt().get_title() for fmt in formats}


def test_the_import_page_lists_the_organisation_columns(staff_client):
    response = staff_client.get(reverse("admin:projects_organisation_import"))
    assert response.status_code == 200
    columns = dict(response.context["fields_list"])["OrganisationResource"]
    assert "registration_number" in columns


@pytest.mark.parametrize("model", ["competitions_call", "projects_organisation", "evaluation_reviewer"])
def test_auditors_import_nothing(auditor_client, model):
    assert auditor_client.get(reverse(f"admin:{model}_import")).status_code == 403
    assert auditor_client.post(reverse(f"admin:{model}_process_import"), {}).status_code == 403


def test_auditors_cannot_export_reviewer_identities(auditor_client):
    Reviewer.objects.create(code="R-HID", user=UserFactory(email="hidden.reviewer@gongmo.example"))
    response = export(auditor_client, Reviewer, ["code", "user"], kind="csv")
    assert response.status_code == 403
    assert "hidden.reviewer" not in page(response)


def test_auditors_export_the_calls_they_read(auditor_client):
    call = CallFactory()
    response = export(auditor_client, Call, ["slug", "title"], kind="csv")
    assert response.status_code == 200
    assert call.slug in page(response)


# --- organisations ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_organisation_import_creates_rows_only_when_confirmed(staff_client, kind):
    rows = [
        ORGANISATION_HEADER,
        ["Haeundae Mobility", valid_number(201), "company", "busan", "ict", 12.5, 1_000_000, 0, 0, 1],
        ["Pusan University", valid_number(202), "university", "busan", "", "", "", 0, 0, 0],
    ]
    response = preview(staff_client, Organisation, rows, kind)
    assert response.status_code == 200
    assert response.context["result"].totals["new"] == 2
    assert "Haeundae Mobility" in page(response)
    assert not Organisation.objects.exists()  # the preview was a dry run

    response = confirm(staff_client, Organisation, response)
    assert response.status_code == 200
    assert "Import finished: 2 new, 0 updated, 0 deleted and 0 skipped" in page(response)
    company = Organisation.objects.get(registration_number=registration_number(201))  # normalised
    assert company.name == "Haeundae Mobility"
    assert company.region.slug == "busan"
    assert str(company.largest_shareholder_share_percent) == "12.50"
    assert company.women_owned is True
    assert company.size_class == ""  # no fiscal years yet: classified once they are entered
    university = Organisation.objects.get(registration_number=registration_number(202))
    assert (university.kind, university.size_class) == ("university", "nonprofit")


def test_a_bad_check_digit_is_shown_in_plain_words_and_nothing_is_written(staff_client):
    existing = OrganisationFactory(name="Before")
    rows = [
        ORGANISATION_HEADER,
        ["Good Co", valid_number(301), "company", "busan", "ict", "", "", 0, 0, 0],
        ["After", existing.registration_number, "company", "busan", "ict", "", "", 0, 0, 0],
        ["Typo Co", bad_number(302), "company", "seoul", "ict", "", "", 0, 0, 0],
    ]
    response = preview(staff_client, Organisation, rows)
    assert response.status_code == 200
    html = page(response)
    assert BAD_CHECK_DIGIT in html
    assert "Traceback" not in html
    [invalid] = response.context["result"].invalid_rows
    assert invalid.number == 3
    assert invalid.field_specific_errors == {"registration_number": [BAD_CHECK_DIGIT]}
    assert "confirm_form" not in response.context  # nothing to confirm
    assert not Organisation.objects.filter(registration_number=registration_number(301)).exists()
    assert Organisation.objects.get(pk=existing.pk).name == "Before"


def test_an_unknown_region_is_named_in_plain_words(staff_client):
    rows = [
        ORGANISATION_HEADER,
        ["Atlantis Co", valid_number(401), "company", "atlantis", "ict", "", "", 0, 0, 0],
    ]
    response = preview(staff_client, Organisation, rows, "csv")
    assert "There is no region with the slug atlantis." in page(response)
    assert "confirm_form" not in response.context
    assert not Organisation.objects.exists()


def test_the_size_class_column_is_ignored_and_recomputed_from_the_financials(staff_client):
    company = OrganisationFactory(size_class="sme")
    FiscalYear.objects.create(
        organisation=company, year=2023, sales=10_000_000_000, total_assets=5_000_000_000
    )
    header = ["registration_number", "in_mutual_investment_restricted_group", "size_class"]
    number = format_registration_number(company.registration_number)
    response = preview(staff_client, Organisation, [header, [number, 1, "sme"]])
    assert response.context["result"].totals["update"] == 1
    confirm(staff_client, Organisation, response)
    company.refresh_from_db()
    assert company.in_mutual_investment_restricted_group is True
    assert company.size_class == "large"
    assert "mutual-investment-restricted group, so large" in company.size_class_reason


def test_organisation_export_formats_registration_numbers_for_reimport(staff_client):
    company = OrganisationFactory()
    response = export(staff_client, Organisation, ["name", "registration_number", "size_class"], "csv")
    rows = list(csv.DictReader(io.StringIO(page(response).lstrip("\ufeff"))))
    assert rows == [
        {
            "name": company.name,
            "registration_number": format_registration_number(company.registration_number),
            "size_class": "sme",
        }
    ]


# --- reviewers ----------------------------------------------------------------------------


def test_reviewer_import_finds_the_account_by_e_mail(reviewer_manager_client):
    user = UserFactory(email="minji.kim@gongmo.example", first_name="Minji", last_name="Kim")
    organisation = OrganisationFactory()
    rows = [
        ["code", "user", "affiliation"],
        ["R-001", " Minji.Kim@Gongmo.example ", format_registration_number(organisation.registration_number)],
    ]
    response = preview(reviewer_manager_client, Reviewer, rows)
    assert response.context["result"].totals["new"] == 1
    assert not Reviewer.objects.exists()
    confirm(reviewer_manager_client, Reviewer, response)
    reviewer = Reviewer.objects.get(code="R-001")
    assert (reviewer.user, reviewer.affiliation) == (user, organisation)


def test_reviewer_import_with_an_unknown_e_mail_says_so_and_writes_nothing(reviewer_manager_client):
    UserFactory(email="known@gongmo.example")
    rows = [
        ["code", "user", "affiliation"],
        ["R-001", "known@gongmo.example", ""],
        ["R-002", "nobody@gongmo.example", ""],
    ]
    response = preview(reviewer_manager_client, Reviewer, rows, "csv")
    assert "There is no account with the e-mail address nobody@gongmo.example." in page(response)
    assert "confirm_form" not in response.context
    assert not Reviewer.objects.exists()


def test_a_row_that_fails_only_at_the_confirm_step_still_writes_nothing(reviewer_manager_client):
    first, second = UserFactory(), UserFactory()
    rows = [["code", "user", "affiliation"], ["R-001", first.email, ""], ["R-002", second.email, ""]]
    response = preview(reviewer_manager_client, Reviewer, rows)
    assert response.context["confirm_form"] is not None
    Reviewer.objects.create(code="R-999", user=second)  # someone else was quicker
    confirm(reviewer_manager_client, Reviewer, response)
    assert list(Reviewer.objects.values_list("code", flat=True)) == ["R-999"]


def test_reviewer_export_has_codes_and_e_mails_but_no_names(reviewer_manager_client):
    user = UserFactory(email="minji.kim@gongmo.example", first_name="Minji", last_name="Kim")
    Reviewer.objects.create(code="R-001", user=user)
    response = export(reviewer_manager_client, Reviewer, ["code", "user", "affiliation"], "csv")
    assert response.status_code == 200
    text = page(response)
    assert "R-001" in text and "minji.kim@gongmo.example" in text
    assert "Minji" not in text and "Kim," not in text


# --- calls --------------------------------------------------------------------------------


def test_call_export_escapes_formulae_and_illegal_characters(staff_client):
    call = CallFactory(
        title='=HYPERLINK("http://evil.example","Open")',
        title_ko="==1+1",
        summary="Bell\x07 and escape\x1b characters",
    )
    response = export(staff_client, Call, ["slug", "title", "title_ko", "summary", "budget_total"])
    assert response.status_code == 200, page(response)[:500]
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = {cell.column_letter: cell for cell in sheet[2]}
    headers = [cell.value for cell in sheet[1]]
    row = {header: cells[letter] for header, letter in zip(headers, "ABCDE", strict=True)}
    assert row["slug"].value == call.slug
    for column in ("title", "title_ko"):
        assert row[column].data_type != "f"  # text, not a formula
    assert row["title"].value == "'" + call.title
    assert row["title_ko"].value == "'==1+1"
    assert "\x07" not in row["summary"].value and "\x1b" not in row["summary"].value
    assert row["summary"].value.startswith("Bell")


def test_csv_export_quotes_every_formula_starter(staff_client):
    for title in ["+1+1", "-1+1", "@SUM(A1)"]:
        CallFactory(title=title)
    response = export(staff_client, Call, ["title", "budget_total"], "csv")
    rows = list(csv.DictReader(io.StringIO(page(response).lstrip("\ufeff"))))
    assert sorted(row["title"] for row in rows) == ["'+1+1", "'-1+1", "'@SUM(A1)"]
    assert {row["budget_total"] for row in rows} == {"3790000000"}


def test_an_exported_call_re_imports_unchanged():
    now = timezone.now().replace(microsecond=0)  # exports carry whole seconds
    call = CallFactory(
        title="=not a formula",
        summary="- first point",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=10),
    )
    dataset = CallResource().export()
    result = CallResource().import_data(dataset, dry_run=False)
    assert not result.has_errors() and not result.has_validation_errors()
    assert result.totals["skip"] == 1
    call = Call.objects.get(pk=call.pk)
    assert (call.title, call.summary) == ("=not a formula", "- first point")


def test_call_state_cannot_be_changed_by_import(staff_client):
    call = CallFactory(title="Before")
    rows = [
        ["slug", "programme", "title", "state"],
        [call.slug, call.programme.slug, "After", CallState.CLOSED],
    ]
    response = preview(staff_client, Call, rows)
    assert response.context["result"].totals["update"] == 1
    confirm(staff_client, Call, response)
    call = Call.objects.get(pk=call.pk)  # a protected state field cannot be refreshed
    assert call.title == "After"  # the row was imported ...
    assert call.state == CallState.DRAFT  # ... but not its state
