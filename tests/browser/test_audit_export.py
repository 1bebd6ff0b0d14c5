"""Journey 5: an auditor asks for the funding workbook of the demo call, watches it being built
and downloads it; the file is a workbook that opens and holds the call's applications."""

import re

import pytest
from openpyxl import load_workbook

from accounts.roles import Role
from competitions.models import Call

from . import scenarios
from .support import Journey, press_with_keyboard

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_auditor_exports_the_funding_workbook(demo, new_page, lang, tmp_path):
    applications = scenarios.scored_call()
    page = new_page()
    journey = Journey(page, lang, "audit")
    journey.log_in("auditor@gongmo.example", scenarios.demo_password(Role.AUDITOR))

    page.goto("/audit/")
    journey.step("room")
    # The open demo call's row: export it with the headers in the auditor's language.
    demo_call = Call.objects.get(slug=scenarios.DEMO_CALL)
    row = page.locator(f"main tr:has(input[name=calls][value='{demo_call.pk}'])")
    assert row.count() == 1
    export = row.locator(f"button[name=lang][value={lang}]")
    press_with_keyboard(page, export, max_tabs=80)
    page.wait_for_url(re.compile(r"/audit/jobs/[0-9a-f-]+/$"))

    # The job page shows its progress and refreshes itself until the workbook is ready.
    progress = page.locator("main progress")
    assert progress.count() == 1
    download_link = page.locator("main a[href$='/download/']")
    download_link.wait_for(timeout=30_000)
    assert progress.get_attribute("value") == "100"
    journey.step("ready")

    with page.expect_download() as download_info:
        download_link.click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    path = tmp_path / download.suggested_filename
    download.save_as(path)

    workbook = load_workbook(path, read_only=True)
    from audit.funding_workbook import sheet_title

    assert {sheet_title(title, lang) for title in ("Calls", "Applications", "Summary", "Checks")} <= set(
        workbook.sheetnames
    )
    cells = {
        str(value)
        for row in workbook[sheet_title("Applications", lang)].iter_rows(values_only=True)
        for value in row
        if value is not None
    }
    assert {application.reference for application in applications} <= cells
    checks = [
        row for row in workbook[sheet_title("Checks", lang)].iter_rows(values_only=True) if "FAIL" in row
    ]
    assert checks == []
    workbook.close()

    # The workbook is listed on the auditors' page.
    page.goto("/audit/")
    assert page.locator("main a[href$='/download/']").count() >= 1
    journey.step("listed")
