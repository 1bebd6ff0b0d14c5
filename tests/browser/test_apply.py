"""Journey 1: a company signs up, registers its organisation, sees its size class, applies to the
open demo call, fails the self-check on an over-cap subsidy, fixes it, uploads its documents,
confirms what it submits, reads its reference number and downloads its receipt as a PDF."""

import re

import pytest

from projects.models import Application
from projects.registration_number import check_digit, format_registration_number
from tests.pdf_text import pdf_text
from tests.projects.samples import pdf_bytes

from .support import Journey, follow, press_with_keyboard

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

FIRST_NINE = {"ko": "220861234", "en": "220861235"}


def registration_number(lang):
    return format_registration_number(FIRST_NINE[lang] + str(check_digit(FIRST_NINE[lang])))


def test_company_applies_and_reads_its_reference(demo, new_page, lang, tmp_path, live_server):
    page = new_page()
    journey = Journey(page, lang, "apply")

    # The public list of calls, in the browser's language; the switcher changes it both ways.
    journey.goto("/", "calls")
    other = "en" if lang == "ko" else "ko"
    follow(page, page.locator(f"form.gongmo-language button[value={other}]"))
    page.wait_for_load_state("load")
    assert page.locator("html").get_attribute("lang") == other
    follow(page, page.locator(f"form.gongmo-language button[value={lang}]"))
    page.wait_for_load_state("load")
    assert page.locator("html").get_attribute("lang") == lang

    # The skip link is the first stop of the keyboard and jumps to the content.
    page.locator("body").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#main-content"

    follow(page, page.locator("a[href='/calls/pilot-city-demo/']").first)
    journey.step("call")

    # Sign up.
    page.goto("/accounts/signup/")
    page.locator("[name=email]").fill(f"ceo-{lang}@dalbit-mobility.example")
    page.locator("[name=first_name]").fill("Jiwoo")
    page.locator("[name=last_name]").fill("Park")
    page.locator("[name=password1]").fill("Moonlight-Mobility-2026")
    page.locator("[name=password2]").fill("Moonlight-Mobility-2026")
    # The personal-data consent, in the page's language, ticked by its label.
    assert {"ko": "수집 항목", "en": "What is collected"}[lang] in page.locator(
        ".gongmo-consent"
    ).inner_text()
    page.locator("label[for=id_consent]").click()
    journey.step("signup")
    press_with_keyboard(
        page, page.locator("main button[type=submit]"), start=page.locator("[name=password2]")
    )
    page.wait_for_url("**/me/")
    journey.step("dashboard-new")

    # Register the organisation: a company with three fiscal years.
    follow(page, page.locator("a[href='/organisations/new/']").first)
    page.locator("[name=name]").fill("Dalbit Mobility Co., Ltd.")
    page.locator("[name=registration_number]").fill(registration_number(lang))
    page.locator("[name=kind]").select_option("company")
    page.locator("[name=region]").select_option(label={"ko": "부산광역시", "en": "Busan"}[lang])
    page.locator("[name=industry]").select_option("ict")
    for n, (year, sales, assets) in enumerate(
        [
            (2023, 31_000_000_000, 22_000_000_000),
            (2024, 34_500_000_000, 24_000_000_000),
            (2025, 38_200_000_000, 26_000_000_000),
        ]
    ):
        page.locator(f"[name=years-{n}-year]").fill(str(year))
        page.locator(f"[name=years-{n}-sales]").fill(str(sales))
        page.locator(f"[name=years-{n}-total_assets]").fill(str(assets))
    journey.step("organisation-form")
    follow(page, page.locator("main button[type=submit]"))
    page.wait_for_url(re.compile(r"/organisations/\d+/$"))
    journey.step("organisation")
    # The size class and the reason for it.
    facts = page.locator("main table").first.inner_text()
    # The average sales of the three years (34.57 bn won) against the band of the industry.
    assert {"ko": "346억", "en": "34.6"}[lang] in facts, facts
    assert page.locator("main .krds-badge").first.inner_text().strip() in {"SME", "중소기업"}

    # Apply to the open demo call.
    page.goto("/calls/pilot-city-demo/")
    follow(page, page.locator("a[href='/calls/pilot-city-demo/apply/']").first)
    page.locator("[name=service_field]").select_option(index=2)
    page.locator("[name=title]").fill("Night-time demand-responsive shuttle for Eco Delta City")
    journey.step("apply-start")
    follow(page, page.locator("main button[type=submit]"))
    page.wait_for_url(re.compile(r"/applications/\d+/edit/$"))

    # The proposal and a funding plan whose subsidy is above the call's cap.
    page.locator("[name=summary]").fill(
        "An on-demand electric shuttle between the Eco Delta City homes and the last metro stations "
        "from 22:00 to 02:00, routed in real time from residents' requests."
    )
    page.locator("[name=test_bed_region]").select_option(label={"ko": "부산광역시", "en": "Busan"}[lang])
    # The long lists fold into boxes (issue 20): open each, then choose.
    for name in ("smart_services", "technology_fields", "service_types"):
        page.locator(f"details:has(#id_{name}) > summary").click()
    page.locator("label[for=id_smart_services_0]").click()
    page.locator("label[for=id_technology_fields_0]").click()
    page.locator("label[for=id_service_types_0]").click()
    page.locator("[name=requested_subsidy]").fill("350000000")
    page.locator("[name=private_cash]").fill("60000000")
    page.locator("[name=private_in_kind]").fill("20000000")
    journey.step("proposal")
    follow(page, page.locator("main button[type=submit]").first)
    page.wait_for_url(re.compile(r"/applications/\d+/$"))
    application_url = page.url
    mine = Application.objects.filter(pk=int(re.search(r"/applications/(\d+)/$", application_url).group(1)))

    # The self-check fails on the subsidy; submitting is refused with the reason.
    failing = page.locator(".gongmo-rules li.fail")
    assert failing.count() >= 1
    assert "300,000,000" in failing.all_inner_texts().__str__()
    follow(page, page.locator("form[action$='/submit/'] button"))
    # The confirmation page lists the failing rule too; submitting anyway is refused.
    assert page.locator(".gongmo-rules li.fail").count() >= 1
    follow(page, page.locator("form[method=post][action$='/submit/'] button"))
    page.wait_for_load_state("load")
    assert page.locator(".gongmo-messages").count() == 1
    journey.step("self-check-fails")
    assert mine.get().state == "draft"

    # Fix the subsidy.
    follow(page, page.locator(f"main a[href='{application_url.removeprefix(live_server.url)}edit/']"))
    page.locator("[name=requested_subsidy]").fill("240000000")
    follow(page, page.locator("main button[type=submit]").first)
    page.wait_for_url(application_url)

    # Upload the proposal and the business registration certificate.
    proposal = tmp_path / "proposal.pdf"
    proposal.write_bytes(pdf_bytes())
    certificate = tmp_path / "business-registration.pdf"
    certificate.write_bytes(pdf_bytes())
    for kind, path in [("proposal", proposal), ("business_registration", certificate)]:
        page.locator("form[action$='/documents/'] [name=kind]").select_option(kind)
        page.locator("form[action$='/documents/'] [name=file]").set_input_files(str(path))
        follow(page, page.locator("form[action$='/documents/'] button[type=submit]"))
        page.wait_for_url(application_url)
    assert page.locator(".gongmo-rules li.fail").count() == 0, page.locator(".gongmo-rules").inner_text()
    assert page.locator(".gongmo-rules li.pass").count() >= 5
    journey.step("self-check-passes")

    # Submit with the keyboard: first the summary of what will be submitted, then Submit.
    submit = page.locator("form[action$='/submit/'] button")
    press_with_keyboard(page, submit, start=page.locator("form[action$='/documents/'] button[type=submit]"))
    page.wait_for_load_state("load")
    assert "proposal.pdf" in page.locator("main").inner_text()
    journey.step("confirm")
    assert mine.get().state == "draft"
    press_with_keyboard(page, page.locator("form[method=post][action$='/submit/'] button"))
    page.wait_for_load_state("load")
    reference = mine.get().reference
    assert reference == "PCDEMO-0001"
    assert reference in page.locator("main .gongmo-page-head").inner_text()
    assert reference in page.locator(".gongmo-messages").inner_text()
    journey.step("submitted")

    # The receipt (접수증) as a PDF, its Korean or English text read back out of it.
    receipt = page.locator("main a[href$='/receipt.pdf']")
    answer = page.request.get(live_server.url + receipt.get_attribute("href"))
    assert answer.headers["content-type"] == "application/pdf"
    text = pdf_text(answer.body())
    assert {"ko": "접수증", "en": "Receipt of submission"}[lang] in text
    assert reference in text
    call = mine.get().call
    assert (call.title_ko if lang == "ko" else call.title) in " ".join(text.split())

    page.goto("/me/")
    row = page.locator("main tr", has_text=reference)
    assert row.count() == 1
    assert "Night-time demand-responsive shuttle" in row.inner_text()
    journey.step("dashboard-submitted")
