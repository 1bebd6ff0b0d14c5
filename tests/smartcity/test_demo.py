"""seed_demo's smart-city part: a service round open all year and one certified service, found
in the public catalogue and on the menu board; a re-run adds nothing."""

from io import StringIO

import pytest
from django.core.management import call_command
from django_fsm_log.models import StateLog

from smartcity.demo import ROUND_NAME, SERVICE
from smartcity.models import Certificate, CertificationApplication, CertificationRound, CertifiedService

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


def test_seed_demo_twice_adds_nothing(seeded):
    before = (
        CertificationRound.objects.count(),
        CertificationApplication.objects.count(),
        Certificate.objects.count(),
        StateLog.objects.count(),
    )
    call_command("seed_demo", stdout=StringIO())
    after = (
        CertificationRound.objects.count(),
        CertificationApplication.objects.count(),
        Certificate.objects.count(),
        StateLog.objects.count(),
    )
    assert after == before == (1, 1, 1, before[3])
