"""Issue 20: the staff application page shows what a decision needs (summary, funding plan with
each source's share, the consortium with roles and acceptance, documents behind their
permission-checked links), each listed object linked; and the staff lists link their rows."""

import lxml.html
import pytest
from django.urls import reverse

from projects.models import ConsortiumMember
from tests.factories import OrganisationFactory, reception_closed

from .test_staff_queue import staff_client, submitted_applications  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def test_the_page_shows_summary_funding_plan_consortium_and_documents(staff_client, open_call):  # noqa: F811
    (application,) = submitted_applications(open_call, 1, summary="Night shuttles for Eco Delta City.")
    pending = ConsortiumMember.objects.create(
        application=application, organisation=OrganisationFactory(name="Slow Partner"), budget_share_percent=5
    )
    reception_closed(open_call)
    html = staff_client.get(reverse("projects:staff_application", args=[application.pk])).content.decode()
    page = lxml.html.fromstring(html)
    assert (
        "Night shuttles for Eco Delta City." in page.get_element_by_id("h-summary").getparent().text_content()
    )
    funding = page.get_element_by_id("h-funding").getparent()
    rows = {
        row.findtext("th"): [" ".join(td.text_content().split()) for td in row.findall("td")]
        for row in funding.xpath(".//tbody/tr")
    }
    # The factory's plan: 300 M national of 500 M, 140 M private cash, 60 M in kind.
    assert rows["National subsidy"] == ["300,000,000 KRW", "60.0%"]
    assert rows["Private cash"] == ["140,000,000 KRW", "28.0%"]
    assert rows["Private in-kind"] == ["60,000,000 KRW", "12.0%"]
    assert rows["Local government"] == ["0 KRW", "0.0%"]
    consortium = page.get_element_by_id("h-consortium").getparent()
    lines = [[" ".join(c.text_content().split()) for c in row] for row in consortium.xpath(".//tbody/tr")]
    assert lines[0][0] == application.lead.name and lines[0][1:3] == ["Lead organisation", "90.00%"]
    assert lines[1][1:4] == ["Consortium member", "10.00%", "Accepted"]
    assert lines[2][0].startswith("Slow Partner")
    assert lines[2][3] == str(pending.get_state_display())
    links = consortium.xpath(".//tbody//th/a/@href")
    assert links[0] == reverse("projects:organisation_detail", args=[application.lead_id])
    assert len(links) == 3
    # Documents behind the download view (which checks the permission).
    downloads = page.xpath("//a[contains(@href, '/documents/')]/@href")
    assert len(downloads) == 2


def test_the_organisation_linked_from_the_page_opens_for_staff(staff_client, open_call):  # noqa: F811
    (application,) = submitted_applications(open_call, 1)
    response = staff_client.get(reverse("projects:organisation_detail", args=[application.lead_id]))
    assert response.status_code == 200


def test_the_page_query_count_does_not_grow_with_the_consortium(
    staff_client,  # noqa: F811
    open_call,
    django_assert_num_queries,
):
    small, large = submitted_applications(open_call, 2)
    for _n in range(6):
        ConsortiumMember.objects.create(
            application=large, organisation=OrganisationFactory(), budget_share_percent=1, state="accepted"
        )
    reception_closed(open_call)
    staff_client.get(reverse("projects:staff_application", args=[small.pk]))  # warm caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as first:
        staff_client.get(reverse("projects:staff_application", args=[small.pk]))
    with django_assert_num_queries(len(first.captured_queries)):
        staff_client.get(reverse("projects:staff_application", args=[large.pk]))
