"""Issue 20: the proposal form's long lists of checkboxes, as the server renders them (without
JavaScript): each in a collapsible box, the smart-services menu in its areas with a legend, every
option there and submitted as before, the search box hidden until choices.js shows it."""

import lxml.html
import pytest
from django.urls import reverse

from competitions.models import SmartService, SmartServiceArea

pytestmark = pytest.mark.django_db


@pytest.fixture
def menu(db):
    from smartcity.models import UnitCost

    # A menu of the test's own: the loaded unit costs point at the reference menu's services.
    UnitCost.objects.update(menu_item=None)
    SmartService.objects.all().delete()
    services = []
    for area_name in ["Mobility", "Safety"]:
        area = SmartServiceArea.objects.get_or_create(name=f"{area_name} area", name_ko=f"{area_name} 분야")[
            0
        ]
        services += [
            SmartService.objects.create(
                area=area, name=f"{area_name} service {n}", name_ko=f"{area_name} 서비스 {n}"
            )
            for n in range(3)
        ]
    return services


def test_each_long_list_folds_into_a_box_and_the_menu_is_grouped_by_area(client, applicant, draft, menu):
    client.force_login(applicant)
    page = lxml.html.fromstring(client.get(reverse("projects:application_edit", args=[draft.pk])).content)
    for name in ["smart_services", "technology_fields", "service_types"]:
        box = page.xpath(f"//details[.//*[@id='id_{name}']]")
        assert len(box) == 1, name
        assert box[0].get("open") is None  # nothing chosen yet: folded
        assert box[0].xpath("./summary//*[contains(@class, 'gongmo-legend')]")
        search = box[0].xpath(".//*[@data-gongmo-search]")[0]
        assert search.get("hidden") is not None  # shown by the script only
        assert search.xpath(".//label")[0].get("for") == search.xpath(".//input")[0].get("id")
    groups = page.xpath("//*[@id='id_smart_services']/fieldset")
    assert [g.findtext("legend") for g in groups] == ["Mobility area", "Safety area"]
    assert [len(g.xpath(".//input[@type='checkbox']")) for g in groups] == [3, 3]
    # Inside its area an option reads as the service alone, and its id is the plain index.
    assert groups[0].xpath(".//label[@for='id_smart_services_0']")[0].text_content() == "Mobility service 0"


def test_a_chosen_option_opens_its_box_and_is_counted(client, applicant, draft, menu):
    draft.smart_services.set(menu[:2])
    client.force_login(applicant)
    html = client.get(
        reverse("projects:application_edit", args=[draft.pk]), HTTP_ACCEPT_LANGUAGE="ko"
    ).content
    page = lxml.html.fromstring(html)
    box = page.xpath("//details[.//*[@id='id_smart_services']]")[0]
    assert box.get("open") is not None
    assert box.xpath(".//*[@data-gongmo-count]")[0].text_content().strip() == "2개 선택"
    assert len(box.xpath(".//input[@checked]")) == 2
