"""Living labs (issue 17): a funded project's lab collects citizens' feedback through its phases;
consent is required; withdrawal keeps the row and the feedback; personal data is seen only by
the lab's approved managers; the results' numbers match counts made here."""

import csv
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation
from django_fsm_log.models import StateLog
from openpyxl import load_workbook

from audit.models import AccessEvent
from competitions.lifecycle import TransitionRefused
from smartcity import living_labs
from smartcity.models import Feedback, LabPhase, LabService, LivingLab, Participant
from tests.factories import OrganisationFactory, StaffFactory, UserFactory

from .labs_world import funded_project, join, open_test_lab

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(role_groups):
    return StaffFactory()


@pytest.fixture
def manager(role_groups):
    return UserFactory(email="manager@lab.example")


@pytest.fixture
def project(staff):
    return funded_project(staff, living_lab=True)


@pytest.fixture
def lab(project, staff, manager):
    return open_test_lab(project, staff, manager)


def citizens(n):
    return [UserFactory(email=f"citizen{i}@example.com") for i in range(n)]


def test_a_lab_collects_feedback_in_each_phase_and_the_results_match(lab, manager, staff):
    people = [join(lab, user) for user in citizens(3)]
    parking, sharing = lab.services.order_by("position")
    given = {}  # (phase, service pk) -> ratings, counted here independently
    plan = {
        LabPhase.EXPLORE: [(parking, 3), (sharing, 4)],
        LabPhase.CO_DESIGN: [(parking, 4), (sharing, 2)],
        LabPhase.TEST: [(parking, 5), (sharing, 3)],
        LabPhase.EVALUATE: [(parking, 5), (sharing, 5)],
    }
    for step, (phase, ratings) in enumerate(plan.items()):
        assert lab.phase == phase
        for offset, person in enumerate(people):
            for service, base in ratings:
                rating = max(1, min(5, base - offset))
                living_labs.give_feedback(person, service, rating=rating, comment=f"{phase} {offset}")
                given.setdefault((phase, service.pk), []).append(rating)
        lab = living_labs.advance(lab, by=manager if step % 2 else staff, reason=f"단계 {step + 1} 완료")
    assert lab.phase == LabPhase.CLOSED

    results = {phase.phase: phase for phase in living_labs.results(lab)}
    assert list(results) == [LabPhase.EXPLORE, LabPhase.CO_DESIGN, LabPhase.TEST, LabPhase.EVALUATE]
    for phase, phase_result in results.items():
        assert phase_result.count == 6
        for result in phase_result.services:
            ratings = given[(phase, result.service.pk)]
            assert result.count == len(ratings)
            assert result.average == round(sum(ratings) / len(ratings), 2)
            assert result.distribution == {r: ratings.count(r) for r in (1, 2, 3, 4, 5)}

    # Every phase change is logged with who and why.
    logs = StateLog.objects.for_(lab).exclude(transition__in=["open", "approve_manager"]).order_by("pk")
    assert [log.state for log in logs] == ["co_design", "test", "evaluate", "closed"]
    assert [log.by for log in logs] == [staff, manager, staff, manager]
    assert logs[0].description == "단계 1 완료"

    # A closed lab takes no more feedback and no more phases.
    with pytest.raises(ValidationError):
        living_labs.give_feedback(people[0], parking, rating=3)
    with pytest.raises(TransitionRefused):
        living_labs.advance(lab, by=staff, reason="다시")


def test_a_second_feedback_in_a_phase_corrects_the_first_and_keeps_it(lab):
    person = join(lab, citizens(1)[0])
    service = lab.services.first()
    living_labs.give_feedback(person, service, rating=2, comment="불편")
    living_labs.give_feedback(person, service, rating=5, comment="개선됨")
    rows = Feedback.objects.filter(participant=person, service=service).order_by("pk")
    assert [(row.rating, row.replaced_at is not None) for row in rows] == [(2, True), (5, False)]
    explore = living_labs.results(lab)[0]
    assert explore.services[0].count == 1 and explore.services[0].average == 5


def test_consent_is_required_and_recorded(lab):
    user = citizens(1)[0]
    with pytest.raises(ValidationError):
        living_labs.join(lab, user, name="김", contact="kim@example.com", age_band="20s", consent_given=False)
    assert not Participant.objects.exists()
    participant = join(lab, user)
    assert participant.consent_version == "LL-2026-1"
    assert participant.consent_text == lab.consent_text
    assert participant.consented_at is not None
    with pytest.raises(ValidationError):
        join(lab, user)  # once per lab


def test_joining_without_ticking_consent_on_the_page_is_refused(client, lab):
    user = citizens(1)[0]
    client.force_login(user)
    response = client.post(
        reverse("smartcity:lab_join", args=[lab.pk]),
        {"name": "김", "contact": "kim@example.com", "age_band": "20s"},
    )
    assert response.status_code == 400
    assert not Participant.objects.exists()
    response = client.post(
        reverse("smartcity:lab_join", args=[lab.pk]),
        {"name": "김", "contact": "kim@example.com", "age_band": "20s", "consent": "on"},
    )
    assert response.status_code == 302
    assert Participant.objects.get().user == user


def test_withdrawal_keeps_the_participant_and_the_feedback(client, lab, manager):
    user = citizens(1)[0]
    person = join(lab, user, name="탈퇴자")
    living_labs.give_feedback(person, lab.services.first(), rating=4, comment="좋아요")
    client.force_login(user)
    response = client.post(reverse("smartcity:lab_withdraw", args=[lab.pk]), {"reason": "이사"})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.withdrawn_at is not None and person.withdrawal_reason == "이사"
    assert Feedback.objects.filter(participant=person).count() == 1
    with pytest.raises(ValidationError):
        living_labs.give_feedback(person, lab.services.first(), rating=1)
    # The results keep the feedback, without the name.
    client.force_login(manager)
    page = client.get(reverse("smartcity:lab_results", args=[lab.pk])).content.decode()
    assert "좋아요" in page and "탈퇴자" not in page


def test_feedback_through_the_page(client, lab):
    user = citizens(1)[0]
    join(lab, user)
    client.force_login(user)
    url = reverse("smartcity:lab_feedback", args=[lab.pk])
    service = lab.services.first()
    assert client.post(url, {"service": service.pk, "rating": "9"}).status_code == 400
    assert not Feedback.objects.exists()
    assert client.post(url, {"service": service.pk, "rating": "4", "comment": "편리"}).status_code == 302
    feedback = Feedback.objects.get()
    assert (feedback.rating, feedback.phase, feedback.comment) == (4, "explore", "편리")


def test_personal_data_only_for_approved_managers(client, lab, manager, staff):
    people = citizens(2)
    join(lab, people[0], name="비밀이름")
    url = reverse("smartcity:lab_participants", args=[lab.pk])
    client.force_login(manager)
    response = client.get(url)
    assert response.status_code == 200 and "비밀이름" in response.content.decode()
    for someone in (staff, people[0], people[1]):
        client.force_login(someone)
        assert client.get(url).status_code == 403
    # Staff see the results, not the people; another citizen sees neither.
    client.force_login(staff)
    results = client.get(reverse("smartcity:lab_results", args=[lab.pk]))
    assert results.status_code == 200 and "비밀이름" not in results.content.decode()
    client.force_login(people[1])
    assert client.get(reverse("smartcity:lab_results", args=[lab.pk])).status_code == 403
    assert client.get(reverse("smartcity:lab_feedback", args=[lab.pk])).status_code == 404
    assert "비밀이름" not in client.get(reverse("smartcity:lab", args=[lab.pk])).content.decode()


def test_only_managers_and_staff_move_the_phase_and_only_staff_approve_managers(lab, manager):
    citizen = citizens(1)[0]
    with pytest.raises(PermissionDenied):
        living_labs.advance(lab, by=citizen, reason="이유")
    with pytest.raises(TransitionRefused):
        living_labs.advance(lab, by=manager, reason=" ")
    with pytest.raises(PermissionDenied):
        living_labs.approve_manager(lab, citizen, by=manager)
    assert LivingLab.objects.get(pk=lab.pk).phase == LabPhase.EXPLORE


def test_lists_keep_a_constant_number_of_queries(client, lab, manager, django_assert_max_num_queries):
    for user in citizens(12):
        living_labs.give_feedback(join(lab, user), lab.services.first(), rating=3)
    client.force_login(manager)
    for name in ("lab_participants", "lab_results"):
        with django_assert_max_num_queries(14):
            assert client.get(reverse(f"smartcity:{name}", args=[lab.pk])).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(reverse("smartcity:labs")).status_code == 200


def test_the_results_page_draws_a_chart_beside_the_table(client, lab, staff):
    living_labs.give_feedback(join(lab, citizens(1)[0]), lab.services.first(), rating=5)
    client.force_login(staff)
    page = client.get(reverse("smartcity:lab_results", args=[lab.pk])).content.decode()
    assert '<svg xmlns="http://www.w3.org/2000/svg" role="img"' in page
    assert "<script" not in page.split("</header>")[-1].split("<footer")[0]


def test_staff_open_a_lab_on_a_funded_project_through_the_page(client, project, staff):
    client.force_login(staff)
    url = reverse("smartcity:lab_create")
    data = {
        "project": project.pk,
        "name": "안심 귀갓길 리빙랩",
        "description": "시민이 안심 귀갓길 서비스를 시험합니다.",
        "services": "\n",
        "consent_version": "LL-1",
        "consent_text": "이름과 연락처를 수집합니다.",
    }
    assert client.post(url, data).status_code == 400  # no service named
    assert not LivingLab.objects.exists()
    data["services"] = "안심 귀갓길 | Safe way home\n스마트 가로등"
    response = client.post(url, data)
    lab = LivingLab.objects.get()
    assert response.status_code == 302 and response.url == reverse("smartcity:lab", args=[lab.pk])
    assert [(s.name, s.name_en) for s in lab.services.order_by("position")] == [
        ("안심 귀갓길", "Safe way home"),
        ("스마트 가로등", ""),
    ]
    assert lab.phase == LabPhase.EXPLORE and lab.created_by == staff
    # One lab per project: the project is no longer offered.
    assert client.post(url, data).status_code == 400
    assert LivingLab.objects.count() == 1


def test_a_phase_survey_is_answered_corrected_and_tabulated(client, lab, manager):
    rating = living_labs.add_question(lab, phase="explore", kind="rating", text="추천 의향", by=manager)
    text = living_labs.add_question(lab, phase="explore", kind="text", text="바라는 점", by=manager)
    later = living_labs.add_question(lab, phase="test", kind="rating", text="실증 만족도", by=manager)
    people = [join(lab, user) for user in citizens(3)]
    for person, value in zip(people, (5, 3, 4), strict=True):
        living_labs.answer_survey(person, {rating: value, text: ""})
    living_labs.answer_survey(people[1], {rating: 1, text: "야간 안내"})  # a correction
    with pytest.raises(ValidationError):
        living_labs.answer_survey(people[0], {later: 3})  # not the current phase's question
    with pytest.raises(ValidationError):
        living_labs.answer_survey(people[0], {rating: 7})

    explore = living_labs.survey_results(lab)["explore"]
    by_question = {result.question: result for result in explore}
    assert by_question[rating].count == 3
    assert by_question[rating].average == round((5 + 1 + 4) / 3, 2)
    assert by_question[rating].distribution == {1: 1, 2: 0, 3: 0, 4: 1, 5: 1}
    assert by_question[text].texts == ["야간 안내"]

    # Through the pages: the participant sees the survey, answers it; the manager sees the table.
    user = people[2].user
    client.force_login(user)
    page = client.get(reverse("smartcity:lab_feedback", args=[lab.pk])).content.decode()
    assert "추천 의향" in page and "실증 만족도" not in page
    response = client.post(reverse("smartcity:lab_survey", args=[lab.pk]), {f"q{rating.pk}": "2"})
    assert response.status_code == 302
    assert living_labs.survey_results(lab)["explore"][0].distribution[2] == 1
    client.force_login(manager)
    results = client.get(reverse("smartcity:lab_results", args=[lab.pk])).content.decode()
    assert "추천 의향" in results and "야간 안내" in results


def test_only_managers_and_staff_set_questions(client, lab):
    citizen = citizens(1)[0]
    with pytest.raises(PermissionDenied):
        living_labs.add_question(lab, phase="explore", kind="text", text="?", by=citizen)
    client.force_login(citizen)
    url = reverse("smartcity:lab_question", args=[lab.pk])
    assert client.post(url, {"phase": "explore", "kind": "text", "text": "질문"}).status_code == 403
    assert not lab.questions.exists()


def test_the_phase_moves_and_a_manager_is_approved_through_the_pages(client, lab, manager, staff):
    client.force_login(manager)
    url = reverse("smartcity:lab_phase", args=[lab.pk])
    client.post(url, {"reason": ""})
    assert LivingLab.objects.get(pk=lab.pk).phase == LabPhase.EXPLORE  # no reason, no move
    assert client.post(url, {"reason": "탐색 완료"}).status_code == 302
    assert LivingLab.objects.get(pk=lab.pk).phase == LabPhase.CO_DESIGN
    newcomer = UserFactory(email="second@lab.example")
    client.force_login(staff)
    client.post(reverse("smartcity:lab_manager", args=[lab.pk]), {"email": "nobody@lab.example"})
    assert lab.managers.count() == 1
    client.post(reverse("smartcity:lab_manager", args=[lab.pk]), {"email": "second@lab.example"})
    assert lab.managers.filter(user=newcomer, approved_by=staff).exists()


def test_feedback_from_a_tab_opened_before_the_withdrawal_is_refused(lab):
    """The participant withdrew in another tab: the stale object still says active, the row
    as stored does not, and nothing is written."""
    user = citizens(1)[0]
    person = join(lab, user, name="두 탭")
    stale = Participant.objects.get(pk=person.pk)
    living_labs.withdraw(person, by=user, reason="그만")
    assert stale.active
    with pytest.raises(ValidationError):
        living_labs.give_feedback(stale, lab.services.first(), rating=5)
    assert not Feedback.objects.filter(participant=person).exists()


# --- Only the citizen-led living-lab track ----------------------------------------------------


def test_a_lab_opens_only_on_a_project_of_a_living_lab_track(staff):
    enterprise = funded_project(staff, living_lab=False)
    logs = StateLog.objects.count()
    with translation.override("ko"), pytest.raises(TransitionRefused) as refused:
        open_test_lab(enterprise, staff)
    assert refused.value.reasons == ["리빙랩은 시민 주도 리빙랩형으로 지원받은 과제에서만 열 수 있습니다."]
    assert not LivingLab.objects.exists() and not LabService.objects.exists()
    assert StateLog.objects.count() == logs
    # Once staff mark the track as the living-lab track, the same project may open one.
    track = enterprise.award.application.track
    track.living_lab = True
    track.save()
    assert open_test_lab(enterprise, staff).project == enterprise


def test_the_open_a_lab_page_lists_only_projects_of_a_living_lab_track(client, staff, project):
    enterprise = funded_project(staff, living_lab=False)
    other_lab_project = funded_project(staff, living_lab=True)
    open_test_lab(other_lab_project, staff)  # already runs one
    client.force_login(staff)
    url = reverse("smartcity:lab_create")
    response = client.get(url)
    assert list(response.context["form"].fields["project"].queryset) == [project]
    page = response.content.decode()
    assert f'value="{project.pk}"' in page
    assert f'value="{enterprise.pk}"' not in page and f'value="{other_lab_project.pk}"' not in page
    # A forged choice of the enterprise-led project is refused, nothing written.
    data = {
        "project": enterprise.pk,
        "name": "기업 리빙랩",
        "description": "시험",
        "services": "서비스",
        "consent_version": "LL-1",
        "consent_text": "수집합니다.",
    }
    assert client.post(url, data).status_code == 400
    assert not LivingLab.objects.filter(project=enterprise).exists()


# --- The results as CSV and XLSX --------------------------------------------------------------


def _fill(lab, manager, people):
    """Feedback and survey answers in two phases; returns what was given, counted here."""
    parking, sharing = lab.services.order_by("position")
    question = living_labs.add_question(lab, phase="co_design", kind="rating", text="추천 의향", by=manager)
    wish = living_labs.add_question(lab, phase="co_design", kind="text", text="바라는 점", by=manager)
    given = {}
    for n, person in enumerate(people):
        rating = 1 + n % 5
        living_labs.give_feedback(person, parking, rating=rating, comment='=HYPERLINK("x")' if n == 0 else "")
        given.setdefault(("explore", parking.pk), []).append(rating)
    lab = living_labs.advance(lab, by=manager, reason="탐색 완료")
    for n, person in enumerate(people):
        rating = 5 - n % 3
        living_labs.give_feedback(person, sharing, rating=rating, comment=f"공유 의견 {n}")
        given.setdefault(("co_design", sharing.pk), []).append(rating)
        living_labs.answer_survey(person, {question: 2 + n % 4, wish: "야간 운영" if n == 1 else ""})
    return lab, given, question


def test_managers_and_staff_download_the_results_without_personal_data(client, lab, manager, staff):
    people = [join(lab, user, name=f"참여자{n}") for n, user in enumerate(citizens(4))]
    lab, given, question = _fill(lab, manager, people)
    client.force_login(manager)
    url = reverse("smartcity:lab_results_export", args=[lab.pk, "csv"])
    before = AccessEvent.objects.count()
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="ko")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith(f'attachment; filename="living-lab-{lab.pk}-results-')
    assert "no-store" in response["Cache-Control"]
    event = AccessEvent.objects.order_by("pk").last()
    assert AccessEvent.objects.count() == before + 1 and event.actor == manager
    assert event.detail["view"] == "smartcity:lab_results_export"

    text = response.content.decode("utf-8-sig")
    for person in people:
        assert person.name not in text and person.contact not in text and person.user.email not in text
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0] == ["단계·서비스별 의견"]
    assert lines[1][:4] == ["단계", "서비스", "의견 수", "평균 평점"]
    rows = {(line[0], line[1]): line[2:] for line in lines[2:10]}
    with translation.override("ko"):
        for phase in (LabPhase.EXPLORE, LabPhase.CO_DESIGN, LabPhase.TEST, LabPhase.EVALUATE):
            for service in lab.services.all():
                ratings = given.get((phase.value, service.pk), [])
                expected = [
                    str(len(ratings)),
                    str(round(sum(ratings) / len(ratings), 2)) if ratings else "",
                    *(str(ratings.count(r)) for r in (1, 2, 3, 4, 5)),
                ]
                assert rows[(str(phase.label), service.name)] == expected
    survey = lines[lines.index(["설문 결과"]) + 2]
    answers = [2 + n % 4 for n in range(4)]
    assert survey[1:3] == ["추천 의향", "1~5점 평점"]
    assert survey[3:] == [
        "4",
        str(round(sum(answers) / 4, 2)),
        *(str(answers.count(r)) for r in (1, 2, 3, 4, 5)),
    ]
    written = lines[lines.index(["의견 및 서술형 답변"]) + 2 :]
    assert ["탐색", "스마트 주차 안내", "1", '\'=HYPERLINK("x")'] in written
    assert sum(1 for line in written if line[3].startswith("공유 의견")) == 4
    assert any(line[1] == "바라는 점" and line[3] == "야간 운영" for line in written)

    client.force_login(staff)
    response = client.get(reverse("smartcity:lab_results_export", args=[lab.pk, "xlsx"]))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == [
        "Feedback per phase and service",
        "Survey results",
        "Comments and written answers",
    ]
    rows = list(book["Feedback per phase and service"].iter_rows(values_only=True))
    assert rows[0][:4] == ("Phase", "Service", "Feedback given", "Average rating")
    explore = [row for row in rows if row[0] == "Explore" and row[1] == "Smart parking guidance"][0]
    ratings = given[("explore", lab.services.order_by("position")[0].pk)]
    assert explore[2:] == (
        len(ratings),
        round(sum(ratings) / len(ratings), 2),
        *(ratings.count(r) for r in range(1, 6)),
    )
    cells = [cell for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row if cell]
    assert not any(str(cell).startswith("=") for cell in cells)
    assert not any(person.name in str(cell) for person in people for cell in cells)


def test_only_managers_and_staff_download_the_results(client, lab):
    people = citizens(2)
    join(lab, people[0])
    other_org_person = UserFactory(email="other@org.example")
    OrganisationFactory(owners=[other_org_person])
    for kind in ("csv", "xlsx"):
        url = reverse("smartcity:lab_results_export", args=[lab.pk, kind])
        response = client.get(url)
        assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
        for someone in (people[0], people[1], other_org_person):
            client.force_login(someone)
            assert client.get(url).status_code == 403
        client.logout()
    assert client.get(f"/smart-city/labs/{lab.pk}/results.pdf").status_code == 404


@pytest.mark.parametrize("count", [3, 15])
def test_the_export_runs_a_constant_number_of_queries(
    client, lab, manager, count, django_assert_max_num_queries
):
    people = [join(lab, user) for user in citizens(count)]
    _fill(lab, manager, people)
    client.force_login(manager)
    for kind in ("csv", "xlsx"):
        with django_assert_max_num_queries(14):
            assert client.get(reverse("smartcity:lab_results_export", args=[lab.pk, kind])).status_code == 200
