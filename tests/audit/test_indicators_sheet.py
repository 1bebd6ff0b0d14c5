"""The funding workbook's Indicators sheet, read back with openpyxl: one row per indicator and
year of every project of the call, with its baseline, target, the latest actual and the name of
its evidence; in Korean, the indicator's Korean name under Korean headers."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import load_workbook

from audit.funding_workbook import sheet_title, write_funding_workbook
from competitions.models import CallState
from projects import indicators
from projects.indicators import IndicatorRow
from projects.models import Application, ApplicationState, Indicator, Report
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    OrganisationFactory,
    StaffFactory,
    TrackFactory,
    UserFactory,
    signed_project,
)
from tests.projects.samples import pdf_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def reported(role_groups):
    call = CallFactory(slug="kpi-2026", state=CallState.PUBLISHED)
    TrackFactory(call=call, name="SME-led", max_awards=5)
    owner = UserFactory()
    application = ApplicationFactory(call=call, lead=OrganisationFactory(owners=[owner]), created_by=owner)
    users = IndicatorRow(
        None, "Service users", "서비스 이용자 수", "persons", Decimal(10), {1: Decimal(100), 2: Decimal(250)}
    )
    dropped = IndicatorRow(None, "Dropped", "", "x", Decimal(0), {1: Decimal(1)})
    indicators.save_indicators(application, [users, dropped], by=owner)
    Indicator.objects.filter(name="Dropped").update(removed=True)
    Application.objects.filter(pk=application.pk).update(
        state=ApplicationState.SELECTED, reference="KPI-0001", accepted_at=timezone.now()
    )
    project = signed_project(Application.objects.get(pk=application.pk), by=StaffFactory())
    final = project.reports.get(kind=Report.Kind.FINAL)
    indicator = indicators.current(application).get()
    for value, name in [(90, "first.pdf"), (120, "users-2026.pdf")]:  # the latest counts
        upload = SimpleUploadedFile(name, pdf_bytes())
        indicators.record_actuals(final, [(indicator, Decimal(value), upload)], by=owner)
    return call, project


def sheet_rows(call, tmp_path, lang="en"):
    path = tmp_path / f"funding-{lang}.xlsx"
    summary = write_funding_workbook([call], path, lang=lang)
    sheet = load_workbook(path)[sheet_title("Indicators", lang)]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    return summary, rows[0], rows[1:]


def test_the_indicators_sheet_has_target_and_actual_per_year(reported, tmp_path):
    call, project = reported
    summary, header, rows = sheet_rows(call, tmp_path)
    assert header == ["Project", "Indicator", "Unit", "Baseline", "Year", "Target", "Actual", "Evidence"]
    assert rows == [
        [project.code, "Service users", "persons", 10, 1, 100, 120, "users-2026.pdf"],
        [project.code, "Service users", "persons", 10, 2, 250, None, None],
    ]
    assert summary["rows"]["Indicators"] == 2


def test_the_indicators_sheet_in_korean(reported, tmp_path):
    call, project = reported
    _summary, header, rows = sheet_rows(call, tmp_path, lang="ko")
    assert header[:3] == ["과제", "지표", "단위"]
    assert rows[0][1] == "서비스 이용자 수"
