"""Staff spreadsheet imports are refused above the documented size and row limits (issue 18:
a 3-million-row import ended in a 500), and when the workbook is a zip bomb or has macros;
nothing is written, the form says why."""

import io
import zipfile

import pytest

from projects.models import Organisation
from tests.audit.test_imports import ORGANISATION_HEADER, preview, valid_number

pytestmark = pytest.mark.django_db


def errors(response):
    return response.context["form"].errors["import_file"]


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_more_rows_than_the_limit_are_refused(staff_client, settings, kind):
    settings.IMPORT_MAX_ROWS = 3
    rows = [ORGANISATION_HEADER] + [
        [f"Company {n}", valid_number(400 + n), "company", "busan", "ict", "", "", 0, 0, 0] for n in range(4)
    ]
    response = preview(staff_client, Organisation, rows, kind)
    assert response.status_code == 200
    assert errors(response) == [
        f"upload.{kind} has more than 3 rows, the most one import takes; split the file."
    ]
    assert "result" not in response.context
    assert not Organisation.objects.exists()


def test_exactly_the_limit_is_accepted(staff_client, settings):
    settings.IMPORT_MAX_ROWS = 2
    rows = [ORGANISATION_HEADER] + [
        [f"Company {n}", valid_number(500 + n), "company", "busan", "ict", "", "", 0, 0, 0] for n in range(2)
    ]
    response = preview(staff_client, Organisation, rows)
    assert response.context["result"].totals["new"] == 2


def test_a_file_above_the_size_limit_is_refused(staff_client, settings):
    settings.IMPORT_MAX_BYTES = 1024 * 1024
    rows = [ORGANISATION_HEADER] + [
        ["x" * 1_100_000, valid_number(600), "company", "busan", "ict", "", "", 0, 0, 0]
    ]
    response = preview(staff_client, Organisation, rows, "csv")
    assert errors(response) == ["upload.csv is larger than 1 MB, the most one import takes; split the file."]
    assert not Organisation.objects.exists()


def test_a_zip_bomb_workbook_is_refused_before_it_is_read(staff_client):
    from django.urls import reverse

    from tests.audit.test_imports import format_index, model_admin, xlsx

    source = zipfile.ZipFile(xlsx([ORGANISATION_HEADER]))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bomb:
        for info in source.infolist():
            bomb.writestr(info.filename, source.read(info))
        bomb.writestr("xl/worksheets/sheet9.xml", b"\0" * (8 * 1024 * 1024))
    buffer.seek(0)
    buffer.name = "upload.xlsx"
    response = staff_client.post(
        reverse("admin:projects_organisation_import"),
        {
            "format": format_index(model_admin(Organisation).get_import_formats(), "xlsx"),
            "import_file": buffer,
        },
    )
    assert "it may be a zip bomb" in errors(response)[0]
