"""Journey 4: staff preview the selection with every reason, record and confirm it; the applicant
then reads "selected" on their page."""

import re

import pytest

from accounts.roles import Role
from evaluation.models import SelectionRun
from projects.models import Application

from . import scenarios
from .support import Journey, follow, press_with_keyboard

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SELECTED = {"ko": "선정", "en": "Selected"}
MIN_REASON_WIDTH = 160  # px: "Selected within every maximum and the budget" on two or three lines


def test_staff_confirm_selection_and_the_applicant_reads_it(demo, new_page, lang):
    applications = scenarios.scored_call()
    mine = applications[0]  # the demo applicant's, scored highest
    page = new_page()
    journey = Journey(page, lang, "selection")
    journey.log_in("staff@gongmo.example", scenarios.demo_password(Role.STAFF))

    # The dry run: every application with its rank, outcome and reason; nothing recorded yet.
    page.goto(f"/staff/calls/{scenarios.DEMO_CALL}/selection/")
    journey.step("preview")
    assert not SelectionRun.objects.filter(call__slug=scenarios.DEMO_CALL).exists()
    # The ranking needs the full width: its help starts folded and the Reason column is not
    # squeezed; opened, the help sits beside a table that scrolls sideways instead.
    help_button = page.locator(".btn-help-exec")
    assert help_button.get_attribute("aria-expanded") == "false"
    assert page.locator(".krds-help-panel.expand").count() == 0
    reason = page.locator("main table tbody tr").first.locator("td").last
    assert reason.bounding_box()["width"] >= MIN_REASON_WIDTH
    help_button.click()
    page.locator(".krds-help-panel.expand").wait_for()
    assert reason.bounding_box()["width"] >= MIN_REASON_WIDTH
    page.locator(".btn-help-panel.fold").click()
    page.locator(".krds-help-panel.expand").wait_for(state="detached")
    rows, badges = {}, {}
    for application in applications:
        row = page.locator("main tr", has_text=application.reference)
        rows[application.reference] = row.inner_text()
        badges[application.reference] = [
            text.strip() for text in row.locator(".krds-badge").all_inner_texts()
        ]
    # Four places in the first field: four selected, the fifth waits in reserve because the field
    # is full; the care robots score below the cutoff.
    reasons = {
        "ko": ("서비스 분야", "기준 점수"),
        "en": ("service field is full", "below the cutoff"),
    }[lang]
    refs = [application.reference for application in applications]
    assert all(SELECTED[lang] in badges[ref] for ref in refs[:4]), badges
    assert not any(SELECTED[lang] in badges[ref] for ref in refs[4:]), badges
    assert reasons[0] in rows[refs[4]], rows[refs[4]]
    assert reasons[1] in rows[refs[5]], rows[refs[5]]
    assert page.locator("main figure svg").count() == 1  # places per field against the maximum

    # Record the run, then confirm it with the keyboard.
    follow(page, page.locator("button[name=action][value=run]"))
    page.wait_for_load_state("load")
    assert SelectionRun.objects.filter(call__slug=scenarios.DEMO_CALL).count() == 1
    journey.step("recorded")
    confirm = page.locator("button[name=action][value=confirm]")
    press_with_keyboard(page, confirm, start=page.locator("button[name=action][value=run]"))
    assert SelectionRun.objects.get(call__slug=scenarios.DEMO_CALL).confirmed_at is not None
    journey.step("confirmed")
    assert Application.objects.get(pk=mine.pk).state == "selected"

    # The staff dashboards: every call, then this call's figures with their charts (applications
    # by status, places per field, scores per field, money), each beside a table.
    page.goto("/staff/")
    assert page.locator(f"main a[href='/staff/calls/{scenarios.DEMO_CALL}/']").count() >= 1
    journey.step("staff-home")
    page.goto(f"/staff/calls/{scenarios.DEMO_CALL}/")
    charts = page.locator("main figure svg[role=img]")
    assert charts.count() >= 3, charts.count()
    places = page.locator("#places").inner_text()
    assert "4" in places and "/ 4" in page.locator("#places figure").inner_text()
    journey.step("call-dashboard")

    # The demo applicant reads the outcome, in a browser of their own.
    applicant = new_page()
    journey = Journey(applicant, lang, "selection-applicant")
    journey.log_in("applicant@gongmo.example", scenarios.demo_password(Role.APPLICANT))
    applicant.goto("/me/")
    row = applicant.locator("main tr", has_text=mine.reference)
    assert SELECTED[lang] in [text.strip() for text in row.locator(".krds-badge").all_inner_texts()]
    journey.step("dashboard")
    follow(applicant, row.locator("a").first)
    applicant.wait_for_url(re.compile(rf"/applications/{mine.pk}/$"))
    head = applicant.locator("main .gongmo-page-head")
    assert SELECTED[lang] in [text.strip() for text in head.locator(".krds-badge").all_inner_texts()]
    assert applicant.locator(f"form[action='/applications/{mine.pk}/accept/']").count() == 1
    journey.step("application")
