"""Issue 20: the proposal form's hundred-odd checkboxes fold into boxes with a search box; the
search hides what does not match and what was chosen before stays chosen (and is saved)."""

import pytest
from django.urls import reverse

from accounts.roles import Role
from competitions.models import Call
from projects.models import Application

from . import scenarios
from .support import Journey, follow

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_search_filters_the_smart_services_and_keeps_the_choice(demo, new_page, lang):
    applicant = scenarios.demo_user(Role.APPLICANT)
    organisation = applicant.memberships.get().organisation
    call = Call.objects.get(slug=scenarios.DEMO_CALL)
    draft = Application.objects.create(
        call=call,
        track=call.tracks.first(),
        service_field=call.service_fields.first(),
        lead=organisation,
        created_by=applicant,
        title="Night shuttle",
        requested_subsidy=100_000_000,
        private_cash=30_000_000,
        private_in_kind=10_000_000,
    )
    page = new_page()
    journey = Journey(page, lang, "long-form")
    journey.log_in(applicant.email, scenarios.demo_password(Role.APPLICANT))
    page.goto(reverse("projects:application_edit", args=[draft.pk]))
    box = page.locator("details:has(#id_smart_services)")
    # Folded at first (nothing chosen yet): the page is no longer one 5,800-pixel column.
    assert box.get_attribute("open") is None
    box.locator("summary").click()
    journey.step("smart-services-open")
    options = box.locator(".krds-form-check")
    total = options.count()
    assert total > 20
    assert box.locator("fieldset.gongmo-choice-group > legend").count() > 1  # grouped by area
    # Choose the first, then search for the label of one further down.
    first = box.locator("#id_smart_services_0")
    box.locator("label[for=id_smart_services_0]").click()
    assert first.is_checked()
    wanted = box.locator(f"label[for=id_smart_services_{total - 1}]").inner_text().strip()
    search = box.get_by_role("searchbox")
    search.fill(wanted)
    visible = [i for i in range(total) if options.nth(i).is_visible()]
    assert 0 < len(visible) < total
    assert total - 1 in visible
    assert not options.nth(0).is_visible()
    assert first.is_checked()  # hidden, still chosen
    status = box.locator("[data-gongmo-found]").inner_text()
    assert str(len(visible)) in status and str(total) in status
    # Enter in the search box does not submit the form.
    search.press("Enter")
    assert page.url.endswith(f"/{draft.pk}/edit/")
    box.locator(f"label[for=id_smart_services_{total - 1}]").click()
    assert "2" in box.locator("[data-gongmo-count]").inner_text()
    journey.step("smart-services-searched")
    search.fill("")
    assert all(options.nth(i).is_visible() for i in range(total))
    follow(page, page.locator("main button[type=submit]").first)
    saved = Application.objects.get(pk=draft.pk)  # a protected state field cannot be refreshed
    assert saved.smart_services.count() == 2
