"""Journey 2: ministry staff confirm the eligibility of the submitted applications, assign
reviewers and watch the reviews come in."""

import re

import pytest

from accounts.roles import Role
from projects.models import Application

from . import scenarios
from .support import Journey, follow, press_with_keyboard

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_staff_confirm_eligibility_assign_and_follow(demo, new_page, lang):
    applications = scenarios.submitted_applications()
    reviewers = scenarios.review_panel()
    page = new_page()
    journey = Journey(page, lang, "staff-evaluation")
    journey.log_in("staff@gongmo.example", scenarios.demo_password(Role.STAFF))

    # The queue, filtered to the open demo call and to what waits for a decision.
    page.goto("/staff/eligibility/")
    page.locator("#f-call").select_option(scenarios.DEMO_CALL)
    page.locator("#f-state").select_option("submitted")
    press_with_keyboard(
        page, page.locator("form.gongmo-filters button[type=submit]"), start=page.locator("#f-size")
    )
    page.wait_for_url(re.compile(r"call=pilot-city-demo"))
    rows = page.locator("table.gongmo-queue tbody tr")
    assert rows.count() == len(applications)
    # Every automatic rule passes for each of them.
    assert page.locator("table.gongmo-queue .bg-light-danger").count() == 0
    # A chosen filter reads as chosen, not in the grey of the empty "All tracks".
    color = "(el) => getComputedStyle(el).color"
    assert page.locator("#f-call").evaluate(color) != page.locator("#f-track").evaluate(color)
    assert page.locator("#f-state").evaluate(color) == page.locator("#f-call").evaluate(color)
    # The staff menu: every staff link on one line (the smart-city schemes share one entry, past
    # calls are a tab of the calls page), and no "My applications" (staff apply for nothing).
    links = page.locator(".gongmo-menu .gnb-main-trigger")
    boxes = [link.bounding_box() for link in links.all()]
    assert len(boxes) == 8
    assert len({round(box["y"]) for box in boxes}) == 1, boxes
    assert len({round(box["height"]) for box in boxes}) == 1, boxes
    assert page.locator(".gongmo-menu a[href='/me/']").count() == 0
    journey.step("queue")

    # Confirm them all at once.
    for application in applications:
        page.locator(f"label[for=sel-{application.pk}]").click()
        assert page.locator(f"#sel-{application.pk}").is_checked()
    follow(page, page.locator("button[name=action][value=confirm]"))
    page.wait_for_load_state("load")
    journey.step("queue-confirmed")
    assert set(
        Application.objects.filter(call__slug=scenarios.DEMO_CALL).values_list("state", flat=True)
    ) == {"eligible"}

    # Assign reviewers from the call's evaluation page.
    page.goto(f"/staff/eligibility/?call={scenarios.DEMO_CALL}&state=all")
    follow(page, page.locator(f"a[href='/staff/calls/{scenarios.DEMO_CALL}/evaluation/']"))
    page.wait_for_url(re.compile(r"/evaluation/$"))
    journey.step("evaluation-before")
    follow(page, page.locator(f"form[action$='/{scenarios.DEMO_CALL}/evaluation/assign/'] button"))
    page.wait_for_load_state("load")
    per_application = len(reviewers)  # a panel of five, five reviews each
    assert f"{len(applications) * per_application}" in page.locator(".gongmo-messages").inner_text()
    progress = page.locator("main table").nth(1)
    for application in Application.objects.filter(call__slug=scenarios.DEMO_CALL):
        assert re.search(rf"{application.reference}\s.*0 / {per_application}", progress.inner_text())
    journey.step("assigned")

    # Reviews arrive; staff reload and see them counted.
    first = Application.objects.filter(call__slug=scenarios.DEMO_CALL).order_by("reference").first()
    scenarios.score(first, 0.9)
    page.reload()
    progress = page.locator("main table").nth(1)
    assert re.search(rf"{first.reference}\s.*{per_application} / {per_application}", progress.inner_text())
    journey.step("progress")
