"""Journey (issue 17's "Done when"): a living-lab project collects citizen feedback through its
phases.

Staff open a living lab on a project funded on the innovation-technology call's citizen-led
living-lab track (an enterprise-led project is not offered) and approve the demo applicant as its
manager; a citizen logs in and joins with consent; gives a rating and comment on a service in the
first phase; the manager moves the lab to co-design with a reason and adds a survey question; the
citizen gives feedback in the new phase and answers the survey; the manager reads the results per
phase (the table beside the chart, with the right counts) and the participant's personal data,
which another logged-in person (the demo reviewer) is refused."""

import pytest

from accounts.roles import Role
from smartcity.models import Feedback, LabPhase, LivingLab, Participant, SurveyAnswer
from tests.factories import UserFactory
from tests.smartcity.labs_world import funded_project

from . import scenarios
from .support import Journey, follow

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

CITIZEN_EMAIL = "citizen@lab.gongmo.example"
CITIZEN_PASSWORD = "correct-horse-battery"
CITIZEN_NAME = "김시민"
CITIZEN_CONTACT = "010-2345-6789"
LAB = {"ko": "해운대 안심 귀갓길 리빙랩", "en": "Haeundae safe way home living lab"}
SERVICES = ["안심 귀갓길 안내 | Safe way home guide", "스마트 가로등 | Smart street lights"]
SERVICE = {"ko": "안심 귀갓길 안내", "en": "Safe way home guide"}
QUESTION = {"ko": "야간 보행이 더 안전하다고 느끼십니까?", "en": "Do you feel safer walking at night?"}


def _main(page):
    return page.locator("main").inner_text()


def _choose(page, name, value):
    """Choose a KRDS radio button by its label (the label covers the input)."""
    control = page.locator(f"input[name={name}][value='{value}']")
    page.locator(f"label[for='{control.get_attribute('id')}']").click()
    assert control.is_checked()


def _row(page, phase, service):
    return [
        cell.strip()
        for cell in page.locator(
            f"tr.lab-result[data-phase={phase}][data-service='{service.pk}'] td"
        ).all_inner_texts()
    ]


def test_a_living_lab_collects_citizen_feedback_through_its_phases(demo, new_page, lang):
    staff_user = scenarios.demo_user(Role.STAFF)
    manager_user = scenarios.demo_user(Role.APPLICANT)
    reviewer_user = scenarios.demo_user(Role.REVIEWER)
    company = manager_user.memberships.get().organisation
    citizen_led = funded_project(staff_user, living_lab=True, lead=company, created_by=manager_user)
    enterprise_led = funded_project(staff_user, living_lab=False, lead=company, created_by=manager_user)
    UserFactory(email=CITIZEN_EMAIL, roles=[Role.APPLICANT])

    # 1. Staff open the lab: only the citizen-led project is offered.
    page = new_page()
    staff = Journey(page, lang, "living-lab-staff")
    staff.log_in(staff_user.email, scenarios.demo_password(Role.STAFF))
    staff.goto("/smart-city/labs/", "labs")
    follow(page, page.locator("main a[href='/smart-city/labs/new/']"))
    staff.step("open-form")
    offered = page.locator("select[name=project] option").evaluate_all("options => options.map(o => o.value)")
    assert str(citizen_led.pk) in offered and str(enterprise_led.pk) not in offered
    page.locator("[name=project]").select_option(str(citizen_led.pk))
    page.locator("[name=name]").fill(LAB["ko"])
    page.locator("[name=name_en]").fill(LAB["en"])
    page.locator("[name=description]").fill("주민이 밤길 안내 서비스와 스마트 가로등을 시험합니다.")
    page.locator("[name=services]").fill("\n".join(SERVICES))
    page.locator("[name=consent_version]").fill("LL-2026-1")
    page.locator("[name=consent_text]").fill("리빙랩 참여를 위해 이름, 연락처, 연령대를 수집·이용합니다.")
    follow(page, page.locator("main button[type=submit]"))
    lab = LivingLab.objects.get(project=citizen_led)
    lab_url = f"/smart-city/labs/{lab.pk}/"
    assert page.url.endswith(lab_url) and LAB[lang] in _main(page)
    guide, lights = lab.services.order_by("position")
    staff.step("opened")

    # 2. Staff approve the demo applicant as the lab's manager.
    page.locator(f"form[action='{lab_url}managers/'] [name=email]").fill(manager_user.email)
    follow(page, page.locator(f"form[action='{lab_url}managers/'] button[type=submit]"))
    assert lab.managers.filter(user=manager_user, approved_by=staff_user).exists()
    staff.step("manager-approved")

    # 3. A citizen logs in and joins: refused without consent, then with consent.
    citizen_page = new_page()
    citizen = Journey(citizen_page, lang, "living-lab-citizen")
    cp = citizen_page
    citizen.log_in(CITIZEN_EMAIL, CITIZEN_PASSWORD)
    citizen.goto(lab_url, "lab")
    cp.locator("[name=name]").fill(CITIZEN_NAME)
    cp.locator("[name=contact]").fill(CITIZEN_CONTACT)
    cp.locator("[name=age_band]").select_option("30s")
    follow(cp, cp.locator(f"form[action='{lab_url}join/'] button[type=submit]"))
    assert not Participant.objects.filter(lab=lab).exists()
    citizen.step("consent-missing")
    consent = cp.locator("input[name=consent]")
    cp.locator(f"label[for='{consent.get_attribute('id')}']").click()
    follow(cp, cp.locator(f"form[action='{lab_url}join/'] button[type=submit]"))
    participant = Participant.objects.get(lab=lab)
    assert participant.name == CITIZEN_NAME and participant.consent_version == "LL-2026-1"
    assert cp.url.endswith(f"{lab_url}feedback/")
    citizen.step("joined")

    # 4. Feedback on a service in the first phase.
    cp.locator("[name=service]").select_option(str(guide.pk))
    _choose(cp, "rating", 3)
    cp.locator("[name=comment]").fill("골목 안내가 늦게 나옵니다.")
    follow(cp, cp.locator("main form:not([action]) button[type=submit]"))
    first = Feedback.objects.get(participant=participant)
    assert (first.phase, first.service, first.rating) == (LabPhase.EXPLORE, guide, 3)
    citizen.step("explore-feedback")

    # 5. The manager moves the lab to co-design with a reason and adds a survey question.
    manager_page = new_page()
    manager = Journey(manager_page, lang, "living-lab-manager")
    mp = manager_page
    manager.log_in(manager_user.email, scenarios.demo_password(Role.APPLICANT))
    manager.goto(lab_url, "lab")
    mp.locator(f"form[action='{lab_url}phase/'] [name=reason]").fill("탐색 단계 의견 수렴 완료")
    follow(mp, mp.locator(f"form[action='{lab_url}phase/'] button[type=submit]"))
    lab = LivingLab.objects.get(pk=lab.pk)
    assert lab.phase == LabPhase.CO_DESIGN
    manager.step("co-design")
    questions = mp.locator(f"form[action='{lab_url}questions/']")
    assert questions.locator("[name=phase]").input_value() == "co_design"
    questions.locator("[name=kind]").select_option("rating")
    questions.locator("[name=text]").fill(QUESTION["ko"])
    questions.locator("[name=text_en]").fill(QUESTION["en"])
    follow(mp, questions.locator("button[type=submit]"))
    question = lab.questions.get()
    assert question.phase == LabPhase.CO_DESIGN
    manager.step("question-added")

    # 6. The citizen gives feedback in co-design and answers the survey.
    citizen.goto(f"{lab_url}feedback/", "co-design")
    cp.locator("[name=service]").select_option(str(lights.pk))
    _choose(cp, "rating", 5)
    cp.locator("[name=comment]").fill("가로등이 밝아져 좋습니다.")
    follow(cp, cp.locator("main form:not([action]) button[type=submit]"))
    _choose(cp, f"q{question.pk}", 4)
    follow(cp, cp.locator(f"form[action='{lab_url}survey/'] button[type=submit]"))
    assert SurveyAnswer.objects.get(participant=participant).rating == 4
    second = Feedback.objects.get(participant=participant, phase=LabPhase.CO_DESIGN)
    assert (second.service, second.rating) == (lights, 5)
    citizen.step("co-design-feedback")

    # 7. The manager reads the results per phase: the right counts, a chart beside each table.
    manager.goto(f"{lab_url}results/", "results")
    assert _row(mp, "explore", guide) == ["1", "3.00", "0", "0", "1", "0", "0"]
    assert _row(mp, "explore", lights)[:2] == ["0", "—"]
    assert _row(mp, "co_design", lights) == ["1", "5.00", "0", "0", "0", "0", "1"]
    assert _row(mp, "co_design", guide)[0] == "0"
    assert mp.locator("main figure svg[role=img]").count() == 2  # the two phases with feedback
    assert CITIZEN_NAME not in _main(mp) and QUESTION[lang] in _main(mp)
    survey = mp.locator(f"tr.lab-survey[data-question='{question.pk}'] td").all_inner_texts()
    assert [cell.strip() for cell in survey] == ["1", "4.00", "0", "0", "0", "1", "0"]
    with mp.expect_download() as download:
        mp.locator(f"main a[href='{lab_url}results.csv']").click()
    assert download.value.suggested_filename.startswith(f"living-lab-{lab.pk}-results-")

    # 8. The manager sees the participant's personal data; the demo reviewer is refused.
    manager.goto(f"{lab_url}participants/", "participants")
    assert CITIZEN_NAME in _main(mp) and CITIZEN_CONTACT in _main(mp)
    other_page = new_page()
    other = Journey(other_page, lang, "living-lab-other")
    other.log_in(reviewer_user.email, scenarios.demo_password(Role.REVIEWER))
    response = other_page.goto(f"{lab_url}participants/")
    assert response.status == 403
    assert CITIZEN_NAME not in other_page.content()
    other.goto(lab_url, "lab")
    assert CITIZEN_NAME not in _main(other_page) and CITIZEN_CONTACT not in _main(other_page)
    assert other_page.locator(f"main a[href='{lab_url}participants/']").count() == 0
