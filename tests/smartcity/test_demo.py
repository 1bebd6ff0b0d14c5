"""seed_demo's smart-city part: a service round open all year and one certified service, found
in the public catalogue and on the menu board; a living lab on the citizen-led project of the
innovation-technology call with feedback through two phases; a re-run adds nothing."""

from io import StringIO

import pytest
from django.core.management import call_command
from django_fsm_log.models import StateLog

from accounts.roles import Role
from smartcity import living_labs
from smartcity.demo import LAB, LAB_ANSWERS, LAB_CITIZENS, LAB_FEEDBACK, ROUND_NAME, SERVICE
from smartcity.models import (
    Certificate,
    CertificationApplication,
    CertificationRound,
    CertifiedService,
    Feedback,
    LivingLab,
    Participant,
    SurveyAnswer,
)
from tests.browser.scenarios import demo_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"  # the demo's evidence files
    call_command("seed_demo", stdout=StringIO())


def test_the_demo_round_is_open_all_year(seeded):
    demo_round = CertificationRound.objects.get(name=ROUND_NAME)
    assert demo_round.kind == "service"
    assert demo_round.open_all_year and demo_round.is_receiving()


def test_the_demo_service_is_certified_through_the_rules(seeded):
    certificate = Certificate.objects.get(application__title=SERVICE["title"])
    assert certificate.number.startswith("SC-S-") and certificate.state == "active"
    assert certificate.valid_from < certificate.valid_until
    service = certificate.certified_service
    assert service.menu_item.name == "Smart parking service"
    assert list(CertifiedService.objects.currently_certified()) == [service]
    # Logged like any other: submitted, assessors assigned, certified, certificate issued.
    steps = set(StateLog.objects.for_(certificate.application).values_list("transition", flat=True))
    assert steps == {"submit", "start_assessment", "certify"}
    assert StateLog.objects.for_(certificate).filter(transition="issue").count() == 1


def test_the_catalogue_and_the_board_list_the_demo_service(seeded, client):
    service = CertifiedService.objects.get()
    catalogue = client.get("/smart-city/catalogue/", {"q": "주차"}, headers={"accept-language": "ko"})
    assert catalogue.status_code == 200
    assert SERVICE["title"] in catalogue.content.decode()
    assert f'href="/smart-city/catalogue/{service.pk}/"' in catalogue.content.decode()
    board = client.get("/smart-city/menu/", headers={"accept-language": "en"}).content.decode()
    assert SERVICE["title_en"] in board and f'href="/smart-city/catalogue/{service.pk}/"' in board


def test_the_demo_living_lab_runs_on_the_citizen_led_project(seeded, client):
    lab = LivingLab.objects.select_related("project__award__application__track__call").get()
    application = lab.project.award.application
    assert application.call.slug == "innovation-tech-2022" and application.state == "awarded"
    assert application.track.name == "Citizen-led living lab" and application.track.living_lab
    assert lab.name == LAB["name"] and lab.phase == "test"
    manager = demo_user(Role.APPLICANT)
    assert list(lab.managers.values_list("user", flat=True)) == [manager.pk]
    # The citizens joined with the lab's consent, recorded with its version and time.
    people = list(lab.participants.order_by("pk"))
    assert [p.user.email for p in people] == [email for email, *_rest in LAB_CITIZENS]
    assert all(p.consent_version == LAB["consent_version"] and p.consented_at for p in people)
    assert all(p.consent_text == LAB["consent_text"] and p.active for p in people)
    # The results per phase agree with the feedback the demo gives, counted here.
    services = list(lab.services.order_by("position"))
    results = {phase.phase: phase for phase in living_labs.results(lab)}
    for phase, given in LAB_FEEDBACK.items():
        for position, service in enumerate(services):
            ratings = [person[position][0] for person in given]
            result = next(r for r in results[phase].services if r.service == service)
            assert result.count == len(ratings) == 4
            assert result.average == round(sum(ratings) / len(ratings), 2)
            assert result.distribution == {r: ratings.count(r) for r in (1, 2, 3, 4, 5)}
    assert results["test"].count == results["evaluate"].count == 0
    assert Feedback.objects.filter(participant__lab=lab).count() == 16
    (question,) = living_labs.survey_results(lab)["co_design"]
    assert question.count == 4 and question.distribution == {r: LAB_ANSWERS.count(r) for r in (1, 2, 3, 4, 5)}
    # Each phase change logged with who and why.
    moves = StateLog.objects.for_(lab).filter(transition__in=["start_co_design", "start_test"]).order_by("pk")
    assert [(m.state, m.by) for m in moves] == [("co_design", manager), ("test", manager)]
    assert all(m.description for m in moves)
    # The manager reads the results page and the participants; the public page names no one.
    client.force_login(manager)
    assert client.get(f"/smart-city/labs/{lab.pk}/results/").status_code == 200
    participants = client.get(f"/smart-city/labs/{lab.pk}/participants/").content.decode()
    assert "김하늘" in participants and LAB_CITIZENS[0][4] in participants
    client.logout()
    public = client.get(f"/smart-city/labs/{lab.pk}/", headers={"accept-language": "ko"}).content.decode()
    assert LAB["name"] in public and "김하늘" not in public


def _counts():
    return (
        CertificationRound.objects.count(),
        CertificationApplication.objects.count(),
        Certificate.objects.count(),
        LivingLab.objects.count(),
        Participant.objects.count(),
        Feedback.objects.count(),
        SurveyAnswer.objects.count(),
        StateLog.objects.count(),
    )


def test_seed_demo_twice_adds_nothing(seeded):
    before = _counts()
    call_command("seed_demo", stdout=StringIO())
    after = _counts()
    assert after == before == (1, 1, 1, 1, 4, 16, 4, before[-1])
