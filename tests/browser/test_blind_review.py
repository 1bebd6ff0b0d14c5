"""Journey 3: a reviewer scores an application of a blind call, where no applicant's name may
appear, saves a draft and submits."""

import re

import pytest

from accounts.roles import Role
from competitions.models import Call
from evaluation.models import Review
from projects.registration_number import format_registration_number

from . import scenarios
from .support import Journey, follow, press_with_keyboard

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_reviewer_scores_a_blind_application(demo, new_page, lang):
    # Blind, and so is the demo's call in evaluation, whose assignments the demo reviewer also holds
    # (its companies share names with this journey's).
    Call.objects.filter(slug__in=[scenarios.DEMO_CALL, "pilot-city-review-demo"]).update(blind_review=True)
    applications = scenarios.confirm_eligible(scenarios.submitted_applications())
    scenarios.review_panel()
    scenarios.assign()
    # What must never reach a reviewer of a blind call: organisations, people, numbers.
    secrets = []
    for application in applications:
        lead = application.lead
        secrets += [lead.name, lead.registration_number, format_registration_number(lead.registration_number)]
        for member in lead.memberships.select_related("user"):
            user = member.user
            secrets.append(user.email)
            if user.first_name and user.last_name:  # the demo account is just "Applicant"
                secrets += [user.get_full_name(), f"{user.last_name} {user.first_name}"]
    secrets = [secret for secret in secrets if secret.strip()]

    page = new_page()
    journey = Journey(page, lang, "review")
    journey.log_in("reviewer@gongmo.example", scenarios.demo_password(Role.REVIEWER))

    page.goto("/review/")
    journey.step("my-reviews")
    first = applications[0].reference
    for application in applications:
        assert page.locator("main tr", has_text=application.reference).count() == 1
    row = page.locator("main tr", has_text=first)
    status_before = row.locator("td").last.inner_text()
    assert_no_secret(page, secrets)

    # Open the first assignment, score every criterion, save a draft.
    follow(page, row.locator("a[href^='/review/']").first)
    page.wait_for_url(re.compile(r"/review/\d+/$"))
    review_url = page.url
    assert_no_secret(page, secrets)
    # Before the first score: the integrity and confidentiality pledge, then no conflict declared.
    page.locator("label[for=pledge-agree]").click()  # KRDS draws the box over the label
    assert page.locator("#pledge-agree").is_checked()
    page.locator("#pledge-name").fill("Reviewer")
    journey.step("pledge")
    follow(page, page.locator("form:has(#pledge-name) button[type=submit]"))
    page.wait_for_url(review_url)
    follow(page, page.locator("button[name=action][value=no_conflict]"))
    page.wait_for_url(review_url)
    assert_no_secret(page, secrets)
    points = page.locator("main input[name^=points-]")
    assert points.count() == 5
    for n in range(points.count()):
        field = points.nth(n)
        maximum = float(field.get_attribute("max"))
        field.fill(str(round(maximum * 0.8, 1)))
    page.locator("main textarea[name^=comment-]").first.fill("A clear plan for the first year of the pilot.")
    page.locator("main textarea[name=comment]").fill("Well argued; the budget for sensors looks generous.")
    journey.step("scoring")
    follow(page, page.locator("button[name=action][value=save]"))
    page.wait_for_url(review_url)
    assert page.locator("main strong", has_text="80.00").count() == 1  # the total of the draft
    assert (
        Review.objects.get(
            assignment__application__call__slug=scenarios.DEMO_CALL,
            assignment__reviewer__user__email="reviewer@gongmo.example",
        ).state
        == Review.State.DRAFT
    )
    journey.step("draft-saved")
    assert_no_secret(page, secrets)

    # Submit with the keyboard: Tab from the overall comment to "Submit", press Enter.
    submit = page.locator("button[name=action][value=submit]")
    press_with_keyboard(page, submit, start=page.locator("main textarea[name=comment]"))
    assert page.url == review_url
    assert (
        Review.objects.get(
            assignment__application__call__slug=scenarios.DEMO_CALL,
            assignment__reviewer__user__email="reviewer@gongmo.example",
        ).state
        == Review.State.SUBMITTED
    )
    assert page.locator("main input[name^=points-]:disabled").count() == 5
    journey.step("submitted")
    assert_no_secret(page, secrets)

    page.goto("/review/")
    # The assignment now reads as submitted.
    assert row.locator("td").last.inner_text() != status_before
    journey.step("my-reviews-after")
    assert_no_secret(page, secrets)


def assert_no_secret(page, secrets):
    html = page.content()
    leaked = [secret for secret in secrets if secret in html]
    assert leaked == [], f"{page.url} shows {leaked}"
