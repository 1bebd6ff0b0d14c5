"""The certification pages and the public catalogue, through the views: the lifecycle from
the application form to the catalogue, suspension marking, filters, exports, constant queries
and who sees what."""

import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts.roles import Role
from competitions.models import Region, SmartService, TechnologyField
from smartcity import certification
from smartcity.models import CertificationApplication, CertifiedService
from tests.factories import OrganisationFactory, StaffFactory, UserFactory

from .certification_world import certified, evidence, reviewer, service_round

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(role_groups):
    return StaffFactory()


def catalogue(client, **params):
    return client.get(reverse("smartcity:catalogue"), params)


def test_the_whole_journey_through_the_pages(client, staff):
    owner = UserFactory()
    company = OrganisationFactory(owners=[owner], name="Parking Co")
    round = service_round(staff, min_assessors=1)
    menu_item = SmartService.objects.order_by("pk").first()
    client.force_login(owner)
    response = client.post(
        reverse("smartcity:certification_apply", args=[round.pk]),
        {
            "organisation": company.pk,
            "title": "스마트 주차 안내",
            "description": "빈 주차면 안내",
            "menu_item": menu_item.pk,
            "technology_fields": [TechnologyField.objects.order_by("pk").first().pk],
            "regions": [Region.objects.get(slug="busan").pk],
            "evidence": evidence(),
        },
    )
    application = CertificationApplication.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/applications/{application.pk}/")

    download = client.get(reverse("smartcity:certification_evidence", args=[application.pk]))
    assert b"".join(download.streaming_content).startswith(b"%PDF-")
    assessor = reviewer(roles=[Role.REVIEWER])
    client.force_login(staff)
    client.post(
        reverse("smartcity:certification_assign", args=[application.pk]), {"assessors": [assessor.pk]}
    )
    client.force_login(assessor)
    page = client.get(reverse("smartcity:certification_application", args=[application.pk]))
    assert b"item_" in page.content  # the scoring form
    data = {
        f"item_{item.pk}": item.max_points
        for category in round.index.categories.all()
        for item in category.items.all()
    }
    client.post(reverse("smartcity:certification_assess", args=[application.pk]), data)
    client.force_login(staff)
    client.post(reverse("smartcity:certification_decide", args=[application.pk]))
    application = CertificationApplication.objects.get(pk=application.pk)
    assert application.state == "passed"
    number = application.certificate.number

    client.logout()
    listing = catalogue(client)
    assert number.encode() in listing.content and "스마트 주차 안내".encode() in listing.content
    service = CertifiedService.objects.get()
    assert client.get(reverse("smartcity:catalogue_service", args=[service.pk])).status_code == 200

    client.force_login(staff)
    client.post(
        reverse("smartcity:certificate_change", args=[application.certificate.pk]),
        {"transition": "suspend", "reason": "Complaint under review"},
    )
    client.logout()
    assert b"Suspended" in catalogue(client).content
    assert number.encode() not in catalogue(client, valid_only="on").content

    client.force_login(staff)
    client.post(
        reverse("smartcity:certificate_change", args=[application.certificate.pk]),
        {"transition": "revoke", "reason": "False evidence"},
    )
    client.logout()
    assert number.encode() not in catalogue(client).content
    assert client.get(reverse("smartcity:catalogue_service", args=[service.pk])).status_code == 404


def test_filters_narrow_the_catalogue(client, staff):
    round = service_round(staff, min_assessors=1)
    fields = list(TechnologyField.objects.order_by("pk")[:2])
    busan, seoul = Region.objects.get(slug="busan"), Region.objects.exclude(slug="busan").first()
    _a, first = certified(
        round,
        staff,
        UserFactory(),
        title="첫째 서비스",
        title_en="",
        technology_fields=[fields[0]],
        regions=[busan],
    )
    other = UserFactory()
    _b, second = certified(
        round,
        staff,
        other,
        organisation=OrganisationFactory(owners=[other], name="Second Co"),
        title="둘째 서비스",
        title_en="",
        technology_fields=[fields[1]],
        regions=[seoul],
    )
    by_field = catalogue(client, technology_field=fields[1].pk).content.decode()
    assert "둘째 서비스" in by_field and "첫째 서비스" not in by_field
    by_region = catalogue(client, region=busan.pk).content.decode()
    assert "첫째 서비스" in by_region and "둘째 서비스" not in by_region
    by_text = catalogue(client, q="둘째").content.decode()
    assert "둘째 서비스" in by_text and "첫째 서비스" not in by_text
    by_company = catalogue(client, company=second.organisation.name).content.decode()
    assert "둘째 서비스" in by_company and "첫째 서비스" not in by_company


def test_exports_carry_the_filtered_rows(client, staff):
    round = service_round(staff, min_assessors=1)
    _a, certificate = certified(round, staff, UserFactory(), title="=HYPERLINK(1)", title_en="")
    response = client.get(reverse("smartcity:catalogue_export", args=["csv"]))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][0] == "'=HYPERLINK(1)" and rows[1][7] == certificate.number and len(rows) == 2
    response = client.get(reverse("smartcity:catalogue_export", args=["xlsx"]))
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.cell(row=2, column=8).value == certificate.number
    assert client.get("/smart-city/catalogue/export.pdf").status_code == 404


def test_the_catalogue_speaks_korean_and_english(client, staff):
    round = service_round(staff, min_assessors=1)
    certified(round, staff, UserFactory(), title="스마트 주차 안내", title_en="Smart parking guide")
    assert "Smart parking guide" in catalogue(client).content.decode()
    korean = client.get(reverse("smartcity:catalogue"), HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "스마트 주차 안내" in korean and "인증 서비스" in korean


@pytest.mark.parametrize("count", [2, 8])
def test_the_catalogue_takes_a_constant_number_of_queries(
    client, staff, django_assert_max_num_queries, count
):
    round = service_round(staff, min_assessors=1)
    for _n in range(count):
        certified(round, staff, UserFactory())
    with django_assert_max_num_queries(12):
        response = catalogue(client)
    assert response.content.decode().count("SC-S-") == count


def test_an_applicant_sees_only_its_own_applications(client, staff):
    owner, other = UserFactory(), UserFactory()
    OrganisationFactory(owners=[other])
    round = service_round(staff, min_assessors=1)
    application, _certificate = certified(round, staff, owner)
    url = reverse("smartcity:certification_application", args=[application.pk])
    client.force_login(other)
    assert client.get(url).status_code == 404
    assert application.title.encode() not in client.get(reverse("smartcity:certification_home")).content
    client.force_login(owner)
    assert client.get(url).status_code == 200
    assert application.title.encode() in client.get(reverse("smartcity:certification_home")).content


def test_the_public_sees_only_certified_services(client, staff):
    round = service_round(staff)
    failed, _none = certified(round, staff, UserFactory(), share=0.3, title="떨어진 서비스")
    submitted = certification.apply(
        round,
        organisation=OrganisationFactory(owners=[owner := UserFactory()]),
        by=owner,
        title="심사 중 서비스",
        description="설명",
        menu_item=SmartService.objects.first(),
        evidence=evidence(),
    )
    page = catalogue(client).content.decode()
    assert failed.state == "failed" and submitted.state == "submitted"
    assert "떨어진 서비스" not in page and "심사 중 서비스" not in page
    assert "No certified service" in page


def test_staff_open_a_round_all_year_or_with_a_window(client, staff):
    from smartcity.models import CertificationRound

    client.force_login(staff)
    url = reverse("smartcity:certification_round_create")
    data = {
        "kind": "city",
        "name": "City 2027",
        "name_ko": "2027 도시",
        "validity_years": 3,
        "min_assessors": 3,
    }
    assert client.post(url, data).status_code == 302
    round = CertificationRound.objects.get()
    assert round.open_all_year and round.index.kind == "city" and round.is_receiving()
    bad = client.post(url, {**data, "opens_at": "2027-03-01T09:00", "closes_at": "2027-02-01T09:00"})
    assert bad.status_code == 200 and CertificationRound.objects.count() == 1
    assert b"Reception must close after it opens." in bad.content


def test_a_bad_evidence_file_is_refused_with_its_reason_and_nothing_stored(client, staff):
    owner = UserFactory()
    company = OrganisationFactory(owners=[owner])
    round = service_round(staff)
    client.force_login(owner)
    response = client.post(
        reverse("smartcity:certification_apply", args=[round.pk]),
        {
            "organisation": company.pk,
            "title": "서비스",
            "description": "설명",
            "menu_item": SmartService.objects.first().pk,
            "evidence": evidence("evidence.docx"),
        },
    )
    assert response.status_code == 200
    assert "evidence.docx is named .docx but its content is PDF." in response.content.decode()
    assert not CertificationApplication.objects.exists()


def test_staff_link_a_pilot_project_by_its_code(client, staff):
    from tests.factories import ApplicationFactory, CallFactory, TrackFactory, signed_project

    owner = UserFactory()
    application, certificate = certified(service_round(staff, min_assessors=1), staff, owner)
    call = CallFactory()
    TrackFactory(call=call)
    pilot = ApplicationFactory(
        call=call,
        lead=application.organisation,
        created_by=owner,
        state="selected",
        accepted_at=timezone.now(),
    )
    project = signed_project(pilot, by=staff)
    client.force_login(staff)
    url = reverse("smartcity:certificate_link_project", args=[certificate.pk])
    client.post(url, {"project": "NO-SUCH-CODE"})
    assert not certificate.project_links.exists()
    client.post(url, {"project": project.code})
    assert list(certificate.project_links.values_list("project__code", flat=True)) == [project.code]
    page = client.get(reverse("smartcity:certification_application", args=[application.pk]))
    assert project.code in page.content.decode()


def test_empty_filters_read_all_in_the_visitors_language(client):
    """A select left empty says 전체 / All, never Django's "---------"; the filters sit in one
    row (gongmo-filters) and dates do not break inside."""
    korean = client.get(reverse("smartcity:catalogue"), HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "---------" not in korean
    assert korean.count('<option value="" selected>전체</option>') == 4
    english = client.get(reverse("smartcity:catalogue"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert english.count('<option value="" selected>All</option>') == 4
    assert 'class="gongmo-filters' in english
