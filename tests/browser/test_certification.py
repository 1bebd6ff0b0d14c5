"""Journey (issue 17's "Done when"): a smart city service certified in the browser, apply →
assess → certificate, then found by anyone in the public catalogue and on the menu board.

Staff open a service-certification round open all year; the demo applicant applies for its
company to certify a service (description, menu item, technology fields, evidence PDF); staff
assign the demo reviewer, who scores every sub-category of the index; staff decide by the pass
rule and the certificate number SC-S-YYYY-NNNN is shown. An anonymous visitor then searches the
catalogue, opens the service's page and finds it on the menu board under its menu item."""

import re

import pytest
from django.utils import timezone, translation

from accounts.roles import Role
from competitions.models import SmartService, TechnologyField
from smartcity.models import Certificate, CertificationApplication, CertificationRound, IndexItem
from tests.projects.samples import pdf_bytes

from . import scenarios
from .support import Journey, follow

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ROUND = {"ko": "2026년 스마트도시 서비스 인증(상시)", "en": "Smart city service certification 2026"}
SERVICE_KO = "지능형 방범 CCTV 관제"
SERVICE_EN = "Intelligent CCTV crime watch"
MENU_ITEM = ("Security", "Real-time crime monitoring system")


def _messages(page):
    return page.locator(".gongmo-messages").inner_text()


def _tick(scope, selector):
    """Tick a KRDS check box by its label (the label covers the input)."""
    control = scope.locator(selector)
    scope.locator(f"label[for='{control.get_attribute('id')}']").click()
    assert control.is_checked()


def test_a_service_is_certified_and_found_in_public(demo, new_page, lang, tmp_path):
    staff_user = scenarios.demo_user(Role.STAFF)
    applicant_user = scenarios.demo_user(Role.APPLICANT)
    reviewer_user = scenarios.demo_user(Role.REVIEWER)
    menu_item = SmartService.objects.get(area__name=MENU_ITEM[0], name=MENU_ITEM[1])

    # 1. Staff open a service-certification round, open all year, one assessment enough.
    page = new_page()
    staff = Journey(page, lang, "certification-staff")
    staff.log_in(staff_user.email, scenarios.demo_password(Role.STAFF))
    staff.goto("/smart-city/certification/", "home")
    follow(page, page.locator("main a[href='/smart-city/certification/rounds/new/']"))
    staff.step("round-form")
    page.locator("[name=kind]").select_option("service")
    page.locator("[name=name]").fill(ROUND["en"])
    page.locator("[name=name_ko]").fill(ROUND["ko"])
    page.locator("[name=validity_years]").fill("3")
    page.locator("[name=min_assessors]").fill("1")
    follow(page, page.locator("main button[type=submit]"))
    new_round = CertificationRound.objects.get(name=ROUND["en"])
    assert new_round.open_all_year and new_round.min_assessors == 1 and new_round.created_by == staff_user
    assert ROUND[lang] in page.locator("main").inner_text()
    staff.step("round-opened")

    # 2. The company's person applies to certify its service in that round.
    applicant_page = new_page()
    applicant = Journey(applicant_page, lang, "certification-applicant")
    applicant.log_in(applicant_user.email, scenarios.demo_password(Role.APPLICANT))
    ap = applicant_page
    applicant.goto("/smart-city/certification/", "home")
    follow(ap, ap.locator(f"main a[href='/smart-city/certification/rounds/{new_round.pk}/apply/']"))
    applicant.step("apply")
    ap.locator("[name=organisation]").select_option(index=1)
    ap.locator("[name=title]").fill(SERVICE_KO)
    ap.locator("[name=title_en]").fill(SERVICE_EN)
    ap.locator("[name=description]").fill("CCTV 영상을 분석해 위급 상황을 관제센터에 바로 알립니다.")
    ap.locator("[name=description_en]").fill("Analyses CCTV video and alerts the control centre at once.")
    ap.locator("[name=menu_item]").select_option(str(menu_item.pk))
    fields = list(TechnologyField.objects.order_by("code")[:2])
    for field in fields:
        _tick(ap, f"input[name=technology_fields][value='{field.pk}']")
    evidence = tmp_path / "cctv-test-report.pdf"
    evidence.write_bytes(pdf_bytes())
    ap.locator("[name=evidence]").set_input_files(str(evidence))
    applicant.step("apply-filled")
    follow(ap, ap.locator("main button[type=submit]"))
    ap.wait_for_url(re.compile(r"/smart-city/certification/applications/\d+/$"))
    application = CertificationApplication.objects.get(title=SERVICE_KO)
    assert application.round == new_round and application.state == "submitted"
    assert application.menu_item == menu_item and application.evidence_name == "cctv-test-report.pdf"
    assert set(application.technology_fields.all()) == set(fields)
    assert application.organisation.memberships.filter(user=applicant_user).exists()
    applicant.step("applied")
    application_url = f"/smart-city/certification/applications/{application.pk}/"

    # 3. Staff assign the demo reviewer as assessor.
    staff.goto("/smart-city/certification/", "home-with-application")
    follow(page, page.locator(f"main a[href='{application_url}']").first)
    staff.step("application")
    _tick(page, f"input[name=assessors][value='{reviewer_user.pk}']")
    follow(page, page.locator(f"form[action='{application_url}assign/'] button[type=submit]"))
    application = CertificationApplication.objects.get(pk=application.pk)  # a protected state
    assert application.state == "under_assessment"
    assert list(application.assessments.values_list("assessor", flat=True)) == [reviewer_user.pk]
    staff.step("assessor-assigned")

    # 4. The reviewer logs in and scores every sub-category of the index.
    reviewer_page = new_page()
    reviewer = Journey(reviewer_page, lang, "certification-reviewer")
    reviewer.log_in(reviewer_user.email, scenarios.demo_password(Role.REVIEWER))
    rp = reviewer_page
    reviewer.goto("/smart-city/certification/", "home")
    follow(rp, rp.locator(f"main a[href='{application_url}']").first)
    reviewer.step("to-assess")
    items = list(IndexItem.objects.filter(category__index=new_round.index))
    assert len(items) == 9
    for item in items:
        rp.locator(f"[name=item_{item.pk}]").fill(str(item.max_points - 2))
    follow(rp, rp.locator(f"form[action='{application_url}assess/'] button[type=submit]"))
    assessment = application.assessments.get()
    assert assessment.submitted_at is not None
    assert {s.item_id: s.points for s in assessment.scores.all()} == {i.pk: i.max_points - 2 for i in items}
    assert rp.locator(f"form[action='{application_url}assess/']").count() == 0
    reviewer.step("assessed")
    reviewer.goto("/smart-city/certification/", "home-assessed")
    done = rp.locator("main li", has=rp.locator(f"a[href='{application_url}']")).inner_text()
    assert done.endswith({"ko": "제출 완료", "en": "Submitted"}[lang]), done

    # 5. Staff decide by the pass rule: a certificate with its number and validity.
    staff.goto(application_url, "ready-to-decide")
    follow(page, page.locator(f"form[action='{application_url}decide/'] button[type=submit]"))
    certificate = Certificate.objects.get(application=application)
    year = timezone.localdate().year
    assert re.fullmatch(rf"SC-S-{year}-\d{{4}}", certificate.number)
    assert certificate.state == "active" and certificate.valid_from == timezone.localdate()
    assert certificate.valid_until.year == year + 3
    assert certificate.total_points == 100 - 2 * len(items)
    service = certificate.certified_service
    assert service.menu_item == menu_item and service.name == SERVICE_KO
    assert certificate.number in _messages(page)
    assert certificate.number in page.locator("main").inner_text()
    staff.step("certified")

    # 6. Anyone finds it in the public catalogue, by a search, and opens its page.
    visitor_page = new_page()
    visitor = Journey(visitor_page, lang, "certification-visitor")
    vp = visitor_page
    visitor.goto("/smart-city/catalogue/", "catalogue")
    name = SERVICE_KO if lang == "ko" else SERVICE_EN
    vp.locator("main [name=q]").fill("CCTV")
    follow(vp, vp.locator("main form[method=get] button[type=submit]"))
    rows = vp.locator("main table tbody tr")
    assert rows.count() == 1, vp.locator("main").inner_text()
    assert name in rows.inner_text() and certificate.number in rows.inner_text()
    visitor.step("catalogue-search")
    follow(vp, rows.locator(f"a[href='/smart-city/catalogue/{service.pk}/']"))
    visitor.step("service")
    assert vp.locator("h1").inner_text().strip() == name
    facts = vp.locator("main").inner_text()
    assert certificate.number in facts and {"ko": "유효", "en": "Valid"}[lang] in facts

    # 7. And on the menu board, beside its menu item.
    visitor.goto("/smart-city/menu/", "menu-board")
    with translation.override(lang):
        item_name = menu_item.display_name
    row = vp.locator("main tr", has=vp.locator(f"th:text-is('{item_name}')"))
    assert row.count() == 1
    assert row.locator(f"a[href='/smart-city/catalogue/{service.pk}/']").inner_text().strip() == name
