"""Journey 6 (issue 15's "Done when"): a call run in public, from its notice page to its published
results. Staff build the call's own questions, attach the announcement, post a notice, set the
contact and publish the call; an applicant reads the notice page and asks a question that staff
answer (public, the asker unnamed, told by e-mail); the applicant answers the call's questions
(one refused first), submits and downloads the receipt (접수증); staff ask for a correction that
the applicant makes before the deadline, while a second application misses its deadline and
returns to staff; after the evaluation (driven in Python) staff publish the results on the
call's page and the applicant downloads the result letter. PDFs are read back with pypdf."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.roles import Role
from competitions.formatting import SEOUL
from competitions.models import Call, CallDocument, Inquiry, Notice, Question, ResultsNotice
from projects import corrections
from projects.models import (
    Answer,
    AnswerRevision,
    Application,
    CorrectionRequest,
    Document,
    OutboxMessage,
)
from tests.pdf_text import pdf_text
from tests.projects.samples import pdf_bytes

from . import public_scenario, scenarios
from .public_scenario import SLUG, TITLE_KO
from .support import Journey, follow

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

QUESTION = "실증 대상지를 부산 에코델타시티 밖으로 정해도 됩니까? Can the test bed be outside Eco Delta City?"
ANSWER = "아니요. 실증은 부산 에코델타시티 안에서 해야 합니다. No: the demonstration takes place in Eco Delta City."


def _messages(page):
    return page.locator(".gongmo-messages").inner_text()


def _tick(scope, selector):
    """Tick a KRDS check box or radio button by its label (the label covers the input)."""
    control = scope.locator(selector)
    scope.locator(f"label[for='{control.get_attribute('id')}']").click()
    assert control.is_checked()


def _pdf(page, live_server, href):
    response = page.request.get(live_server.url + href)
    assert response.status == 200, href
    assert response.headers["content-type"] == "application/pdf"
    return " ".join(pdf_text(response.body()).split())


def _add_question(page, *, kind, label, label_ko, code, required=False, low="", high="", document=""):
    form = page.locator("form:has(input[name=action][value=question])")
    form.locator("[name=section]").select_option(index=1)  # the only section
    form.locator("[name=kind]").select_option(kind)
    form.locator("[name=label]").fill(label)
    form.locator("[name=label_ko]").fill(label_ko)
    form.locator("[name=code]").fill(code)
    if required:
        form.locator("label[for=id_required]").click()
    form.locator("[name=min_value]").fill(low)
    form.locator("[name=max_value]").fill(high)
    if document:
        form.locator("[name=document_kind]").select_option(document)
    follow(page, form.locator("button[type=submit]"))


def test_a_call_from_its_notice_page_to_its_published_results(demo, new_page, lang, tmp_path, live_server):
    call = public_scenario.draft_call()
    staff_page = new_page()
    staff = Journey(staff_page, lang, "public-staff")
    staff.log_in("staff@gongmo.example", scenarios.demo_password(Role.STAFF))
    page = staff_page

    # 1. The call's own questions, on the question builder reached from the call's dashboard.
    staff.goto(f"/staff/calls/{SLUG}/", "dashboard-draft")
    follow(page, page.locator(f"main a[href='/staff/calls/{SLUG}/questions/']"))
    staff.step("questions-empty")
    section_form = page.locator("form:has(input[name=action][value=section])")
    section_form.locator("[name=title]").fill("The test bed")
    section_form.locator("[name=title_ko]").fill("실증 대상지")
    follow(page, section_form.locator("button[type=submit]"))
    assert call.question_sections.count() == 1
    _add_question(
        page,
        kind="yes_no",
        label="Is the test bed secured (agreement with its owner)?",
        label_ko="실증 대상지를 확보했습니까(소유자와 협약)?",
        code="test-bed-secured",
        required=True,
    )
    _add_question(
        page,
        kind="number",
        label="Expected users a day",
        label_ko="하루 예상 이용자 수",
        code="daily-users",
        low="1",
        high="100000",
    )
    _add_question(
        page,
        kind="file",
        label="Letter of consent from the test bed's owner",
        label_ko="실증 대상지 소유자 동의서",
        code="owner-consent",
        document="other",
    )
    questions = {q.code: q for q in Question.objects.filter(call=call)}
    assert set(questions) == {"test-bed-secured", "daily-users", "owner-consent"}
    assert questions["test-bed-secured"].required and questions["test-bed-secured"].kind == "yes_no"
    assert (questions["daily-users"].min_value, questions["daily-users"].max_value) == (1, 100000)
    assert questions["owner-consent"].document_kind == "other"
    staff.step("questions-built")

    # 2. The notice page: the announcement (공고문), a notice, the contact.
    follow(page, page.locator(f"a[href='/staff/calls/{SLUG}/']").first)
    follow(page, page.locator(f"main a[href='/staff/calls/{SLUG}/notice/']"))
    staff.step("notice-page-empty")
    announcement = tmp_path / "announcement.pdf"
    announcement.write_bytes(pdf_bytes())
    form = page.locator("form:has(input[name=action][value=document])")
    form.locator("[name=document-kind]").select_option("announcement")
    form.locator("[name=document-title_ko]").fill("2026년 스마트시티 혁신서비스 공모 공고문")
    form.locator("[name=document-title]").fill("Announcement of the 2026 call")
    form.locator("[name=document-file]").set_input_files(str(announcement))
    follow(page, form.locator("button[type=submit]"))
    document = CallDocument.objects.get(call=call)
    assert (document.kind, document.original_name) == ("announcement", "announcement.pdf")
    form = page.locator("form:has(input[name=action][value=notice])")
    form.locator("[name=notice-title_ko]").fill("온라인 설명회 안내")
    form.locator("[name=notice-title]").fill("Online briefing")
    form.locator("[name=notice-body_ko]").fill("설명회는 다음 주 화요일 14시에 온라인으로 열립니다.")
    form.locator("[name=notice-body]").fill("The briefing is held online next Tuesday at 14:00.")
    follow(page, form.locator("button[type=submit]"))
    assert Notice.objects.filter(call=call, title_ko="온라인 설명회 안내").count() == 1
    form = page.locator("form:has(input[name=action][value=contact])")
    form.locator("[name=contact-department_ko]").fill("스마트도시과")
    form.locator("[name=contact-department]").fill("Smart City Division")
    form.locator("[name=contact-person]").fill("김도시 사무관")
    form.locator("[name=contact-phone]").fill("044-201-4567")
    form.locator("[name=contact-email]").fill("smartcity@molit.example")
    follow(page, form.locator("button[type=submit]"))
    assert Call.objects.get(pk=call.pk).contact.phone == "044-201-4567"
    staff.step("notice-page-set")

    # 3. Publish the call from its dashboard; its questions are frozen from then on.
    follow(page, page.locator(f"a[href='/staff/calls/{SLUG}/']").first)
    follow(page, page.locator(f"form[action='/staff/calls/{SLUG}/publish/'] button"))
    assert Call.objects.get(pk=call.pk).state == "published"
    assert page.locator(f"form[action='/staff/calls/{SLUG}/publish/']").count() == 0
    staff.step("published")
    staff.goto(f"/staff/calls/{SLUG}/questions/", "questions-frozen")
    assert page.locator("form:has(input[name=action][value=question])").count() == 0

    # 4. The applicant reads the notice page and asks a question.
    applicant_page = new_page()
    applicant = Journey(applicant_page, lang, "public-applicant")
    applicant_user = scenarios.demo_user(Role.APPLICANT)
    applicant.log_in(applicant_user.email, scenarios.demo_password(Role.APPLICANT))
    ap = applicant_page
    applicant.goto("/", "calls")
    follow(ap, ap.locator(f"a[href='/calls/{SLUG}/']").first)
    applicant.step("notice-page")
    main = ap.locator("main").inner_text()
    assert (TITLE_KO if lang == "ko" else public_scenario.TITLE) in main
    assert {"ko": "온라인 설명회 안내", "en": "Online briefing"}[lang] in main
    assert "044-201-4567" in main and "smartcity@molit.example" in main
    download = ap.locator(f"a[href='/calls/{SLUG}/documents/{document.pk}/']")
    assert download.count() == 1
    assert ap.request.get(live_server.url + download.get_attribute("href")).body() == pdf_bytes()
    ap.locator("#questions textarea[name=text]").fill(QUESTION)
    follow(ap, ap.locator("#questions button[type=submit]"))
    assert "e-mail" in _messages(ap) or "이메일" in _messages(ap)
    inquiry = Inquiry.objects.get(call=call)
    assert inquiry.asked_by == applicant_user and inquiry.answered_at is None
    applicant.step("question-asked")

    # 5. Staff answer it in the questions queue; the asker is told by e-mail.
    staff.goto("/staff/", "staff-home")
    follow(page, page.locator("main a[href='/staff/questions/']"))
    assert QUESTION in page.locator("main").inner_text()
    staff.step("question-queue")
    page.locator(f"#id_q{inquiry.pk}-answer").fill(ANSWER)
    follow(page, page.locator(f"form[action^='/staff/questions/{inquiry.pk}/answer/'] button"))
    inquiry.refresh_from_db()
    assert inquiry.answer == ANSWER and inquiry.answered_by.email == "staff@gongmo.example"
    told = OutboxMessage.objects.filter(to=applicant_user.email, body__contains=ANSWER)
    assert told.count() == 1
    staff.step("question-answered")

    # The answer is public, without the asker's name.
    public_page = new_page()
    visitor = Journey(public_page, lang, "public-visitor")
    visitor.goto(f"/calls/{SLUG}/#questions", "answered")
    qa = public_page.locator("#questions").inner_text()
    assert QUESTION in qa and ANSWER in qa
    page_text = public_page.locator("main").inner_text()
    named = [
        n for n in (applicant_user.email, applicant_user.get_full_name(), applicant_user.first_name) if n
    ]
    assert len(named) >= 2
    for name in named:
        assert name not in page_text

    # 6. The applicant starts an application and answers the call's questions, one refused first.
    applicant.goto(f"/calls/{SLUG}/", "notice-page-again")
    follow(ap, ap.locator(f"main a[href='/calls/{SLUG}/apply/']").first)
    ap.locator("[name=service_field]").select_option(index=1)
    ap.locator("[name=title]").fill("Pedestrian-first smart crossings around the Eco Delta City schools")
    applicant.step("apply-start")
    follow(ap, ap.locator("main button[type=submit]"))
    ap.wait_for_url(re.compile(r"/applications/\d+/edit/$"))
    mine = Application.objects.get(pk=int(re.search(r"/applications/(\d+)/edit/$", ap.url).group(1)))
    ap.locator("[name=summary]").fill(
        "Crossings that detect children and older people and give them more time, around four "
        "schools of Eco Delta City, with the city's traffic centre."
    )
    ap.locator("[name=test_bed_region]").select_option(label={"ko": "부산광역시", "en": "Busan"}[lang])
    # The long lists fold into boxes (issue 20): open each, then choose.
    for name in ("smart_services", "technology_fields", "service_types"):
        ap.locator(f"details:has(#id_{name})").evaluate("box => { box.open = true; }")
    ap.locator("label[for=id_smart_services_0]").click()
    ap.locator("label[for=id_technology_fields_0]").click()
    ap.locator("label[for=id_service_types_0]").click()
    ap.locator("[name=requested_subsidy]").fill("240000000")
    ap.locator("[name=private_cash]").fill("60000000")
    ap.locator("[name=private_in_kind]").fill("20000000")
    secured = questions["test-bed-secured"]
    users = questions["daily-users"]
    ap.locator(f"label[for=id_question-{secured.pk}_0]").click()
    ap.locator(f"#id_question-{users.pk}").fill("250000")  # above the maximum of 100,000
    follow(ap, ap.locator("main button[type=submit]").first)
    assert ap.url.endswith(f"/applications/{mine.pk}/edit/")
    # The refusal is beside the question, in the page's language, and says the limit.
    error = ap.locator(f".form-group:has(#id_question-{users.pk}) #id_question-{users.pk}_error")
    assert "100000" in error.inner_text().replace(",", ""), error.inner_text()
    assert ap.locator(f"#id_question-{users.pk}").input_value() == "250000"
    assert ap.locator(f"#id_question-{secured.pk}_0").is_checked()
    assert ap.locator("[name=private_cash]").input_value() == "60000000"
    assert not Answer.objects.filter(application=mine).exists()
    applicant.step("answer-refused")
    ap.locator(f"#id_question-{users.pk}").fill("1200")
    consent = tmp_path / "owner-consent.pdf"
    consent.write_bytes(pdf_bytes())
    ap.locator(f"#id_question-{questions['owner-consent'].pk}").set_input_files(str(consent))
    follow(ap, ap.locator("main button[type=submit]").first)
    ap.wait_for_url(re.compile(rf"/applications/{mine.pk}/$"))
    answers = {a.question.code: a for a in Answer.objects.filter(application=mine).select_related("question")}
    assert answers["test-bed-secured"].value is True
    assert answers["daily-users"].value == "1200"
    assert answers["owner-consent"].document.original_name == "owner-consent.pdf"
    application_url = f"/applications/{mine.pk}/"

    # Documents, then the confirmation page, then submit.
    proposal = tmp_path / "proposal.pdf"
    proposal.write_bytes(pdf_bytes())
    certificate = tmp_path / "business-registration.pdf"
    certificate.write_bytes(pdf_bytes())
    for kind, path in [("proposal", proposal), ("business_registration", certificate)]:
        ap.locator("form[action$='/documents/'] [name=kind]").select_option(kind)
        ap.locator("form[action$='/documents/'] [name=file]").set_input_files(str(path))
        follow(ap, ap.locator("form[action$='/documents/'] button[type=submit]"))
    assert ap.locator(".gongmo-rules li.fail").count() == 0, ap.locator(".gongmo-rules").inner_text()
    applicant.step("ready")
    follow(ap, ap.locator("form[action$='/submit/'] button"))
    confirm = ap.locator("main").inner_text()
    # What will be submitted includes the answers to the call's own questions.
    assert "proposal.pdf" in confirm and "owner-consent.pdf" in confirm
    answers_shown = ap.locator("main #answers").inner_text()
    assert "1200" in answers_shown and {"ko": "예", "en": "Yes"}[lang] in answers_shown
    applicant.step("confirm")
    follow(ap, ap.locator("form[method=post][action$='/submit/'] button"))
    mine = Application.objects.get(pk=mine.pk)
    assert mine.state == "submitted" and mine.reference == "PCPUB-0001"
    assert mine.reference in _messages(ap)
    applicant.step("submitted")

    # The receipt: 접수증 and the call's Korean title, in either language's run.
    text = _pdf(ap, live_server, ap.locator("main a[href$='/receipt.pdf']").get_attribute("href"))
    assert "접수증" in text and TITLE_KO in text and mine.reference in text
    if lang == "en":
        assert "Receipt of submission" in text and public_scenario.TITLE in text

    # 7. A second company applies; reception closes; evaluation begins with the eligibility check.
    other = public_scenario.second_application(call, {"test-bed-secured": "yes", "daily-users": "300"})
    assert other.state == "submitted"
    call = public_scenario.closed(call)

    # 8. Staff ask the applicant to correct the business registration certificate and the number
    # of users, by the day after tomorrow at 18:00 Korea time.
    staff.goto(f"/staff/applications/{mine.pk}/", "application-submitted")
    deadline_day = (timezone.now().astimezone(SEOUL) + timedelta(days=2)).date()
    request_form = page.locator(f"form[action='/staff/applications/{mine.pk}/correction/']")
    _tick(request_form, "input[name=documents][value=business_registration]")
    _tick(request_form, "input[name=answers][value=daily-users]")
    request_form.locator("[name=message]").fill(
        "사업자등록증이 만료되었습니다. 최신본을 올리고 이용자 수의 근거를 확인해 주십시오."
    )
    request_form.locator("[name=deadline_date]").fill(deadline_day.isoformat())
    request_form.locator("[name=deadline_time]").fill("18:00")
    follow(page, request_form.locator("button[type=submit]"))
    mine = Application.objects.get(pk=mine.pk)
    assert mine.state == "correction_requested", _messages(page)
    request = CorrectionRequest.objects.get(application=mine)
    assert request.deadline.astimezone(SEOUL).date() == deadline_day
    assert request.deadline.astimezone(SEOUL).hour == 18
    assert {(i.kind, i.target) for i in request.items.all()} == {
        ("document", "business_registration"),
        ("answer", "daily-users"),
    }
    assert OutboxMessage.objects.filter(to=applicant_user.email, subject__contains=mine.reference).exists()
    staff.step("correction-requested")

    # 9. The applicant corrects both parts before the deadline and resubmits.
    applicant.goto(application_url, "correction-banner")
    follow(ap, ap.locator(f"main a[href='/applications/{mine.pk}/correct/']"))
    applicant.step("correct")
    renewed = tmp_path / "business-registration-2026.pdf"
    renewed.write_bytes(pdf_bytes())
    ap.locator("form[action$='/documents/'] [name=kind]").select_option("business_registration")
    ap.locator("form[action$='/documents/'] [name=file]").set_input_files(str(renewed))
    follow(ap, ap.locator("form[action$='/documents/'] button[type=submit]"))
    ap.locator(f"#id_question-{users.pk}").fill("1350")
    follow(ap, ap.locator("form:has(input[name=part][value=answers]) button[type=submit]"))
    applicant.step("corrected")
    follow(ap, ap.locator(f"form[action='/applications/{mine.pk}/resubmit/'] button"))
    mine = Application.objects.get(pk=mine.pk)
    assert mine.state == "submitted"
    request.refresh_from_db()
    assert request.status == "resubmitted"
    certificates = Document.objects.filter(application=mine, kind="business_registration").order_by("pk")
    assert [(d.original_name, d.superseded) for d in certificates] == [
        ("business-registration.pdf", True),
        ("business-registration-2026.pdf", False),
    ]
    assert Answer.objects.get(application=mine, question=users).value == "1350"
    revision = AnswerRevision.objects.get(application=mine, question=users)
    assert (revision.value_before, revision.value_after) == ("1200", "1350")  # the original kept
    applicant.step("resubmitted")

    # 10. The second application's correction: its deadline passes without a resubmission.
    staff.goto(f"/staff/applications/{other.pk}/", "other-submitted")
    request_form = page.locator(f"form[action='/staff/applications/{other.pk}/correction/']")
    _tick(request_form, "input[name=documents][value=financial_statements]")
    _tick(request_form, "input[name=answers][value=owner-consent]")
    request_form.locator("[name=message]").fill("재무제표와 소유자 동의서를 올려 주십시오.")
    request_form.locator("[name=deadline_date]").fill(deadline_day.isoformat())
    request_form.locator("[name=deadline_time]").fill("18:00")
    follow(page, request_form.locator("button[type=submit]"))
    missed = CorrectionRequest.objects.get(application=other)
    assert Application.objects.get(pk=other.pk).state == "correction_requested"
    # The beat's sweep runs after the deadline.
    assert corrections.return_overdue(now=missed.deadline + timedelta(seconds=1)) == [other.pk]
    missed.refresh_from_db()
    assert missed.status == "expired"
    assert Application.objects.get(pk=other.pk).state == "submitted"
    staff.goto(f"/staff/applications/{other.pk}/", "other-returned")
    returned = page.locator("main").inner_text()
    not_corrected = {"ko": "보완되지 않음", "en": "Not corrected"}[lang]
    assert not_corrected in returned or not_corrected.lower() in returned.lower(), returned
    assert {"ko": "재무제표", "en": "Financial statements"}[lang] in returned
    assert (
        OutboxMessage.objects.filter(to=other.created_by.email, subject__contains=other.reference).count()
        >= 2
    )

    # 11. Eligibility, evaluation and selection through the domain functions, down to a
    # confirmed selection; then staff publish the results on the call's page.
    scenarios.confirm_eligible([mine, other])
    run = public_scenario.evaluated(call, [(mine, 0.93), (other, 0.8)])
    mine = Application.objects.get(pk=mine.pk)
    assert mine.state == "selected"
    staff.goto(f"/staff/calls/{SLUG}/selection/", "selection-confirmed")
    follow(page, page.locator(f"main a[href='/staff/calls/{SLUG}/public-results/']"))
    staff.step("public-results")
    _tick(page, "input[name=listing][value=titles_and_organisations]")
    page.locator("[name=note]").fill("선정된 과제는 협약 절차를 안내받습니다.")
    follow(page, page.locator("main form button[type=submit]"))
    notice = ResultsNotice.objects.get(call=call)
    assert notice.entries.filter(title=mine.title, organisation=mine.lead.name).count() == 1
    staff.step("results-published")

    # The public page lists the selected application, never a score.
    visitor.goto(f"/calls/{SLUG}/", "results")
    results = public_page.locator("#results").inner_text()
    assert mine.title in results and mine.lead.name in results
    assert f"{run.results.get(application=mine).evaluation_score}" not in results

    # 12. The applicant reads and downloads the result letter.
    applicant.goto(application_url, "selected")
    letter = ap.locator("main a[href$='/letter.pdf']").first
    text = _pdf(ap, live_server, letter.get_attribute("href"))
    assert "결과 통지서" in text and TITLE_KO in text and mine.reference in text
    if lang == "en":
        assert "Result letter" in text
