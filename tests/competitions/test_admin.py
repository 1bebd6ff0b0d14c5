"""The staff's admin: calls with inlines, lifecycle actions, spreadsheet import/export."""

import io

import pytest
from django.urls import reverse
from django_fsm_log.models import StateLog
from openpyxl import Workbook, load_workbook

from competitions.models import Call, CallState, Region, TechnologyField
from tests.factories import CallFactory, TrackFactory

pytestmark = pytest.mark.django_db


def test_call_change_page_shows_inlines_quota_overview_and_history(staff_client, demo):
    call = Call.objects.get(slug="pilot-city-2022")
    page = staff_client.get(reverse("admin:competitions_call_change", args=[call.pk])).content.decode()
    assert "Smart infrastructure" in page  # service field inline
    assert "SME-led innovation service" in page  # track inline
    assert "Service fields offer 22 places for at most 14 awards in all." in page
    assert "Fields compete for the awards: that is allowed." in page
    assert "start_evaluation" in page  # the read-only transition history


def test_admin_changelists_load(staff_client, demo):
    for name in [
        "call",
        "programme",
        "track",
        "servicefield",
        "technologyfield",
        "servicetype",
        "region",
        "sizeclass",
        "smartservice",
        "smartservicearea",
    ]:
        response = staff_client.get(reverse(f"admin:competitions_{name}_changelist"))
        assert response.status_code == 200, name


def test_publish_action_goes_through_the_lifecycle(staff_client, staff_user):
    call = CallFactory()
    TrackFactory(call=call)
    response = staff_client.post(
        reverse("admin:competitions_call_changelist"),
        {"action": "lifecycle_publish", "_selected_action": [call.pk]},
        follow=True,
    )
    assert "Publish: 1 call(s) done." in response.content.decode()
    assert Call.objects.get(pk=call.pk).state == CallState.PUBLISHED
    assert StateLog.objects.for_(call).get().by == staff_user


def test_refused_action_explains_why_and_changes_nothing(staff_client):
    call = CallFactory()  # no track
    response = staff_client.post(
        reverse("admin:competitions_call_changelist"),
        {"action": "lifecycle_publish", "_selected_action": [call.pk]},
        follow=True,
    )
    messages = [str(message) for message in response.context["messages"]]
    assert messages == [f"{call.slug}: Add at least one track before publishing."]
    assert Call.objects.get(pk=call.pk).state == CallState.DRAFT


def test_state_is_read_only_in_the_admin_form(staff_client, draft_call):
    url = reverse("admin:competitions_call_change", args=[draft_call.pk])
    form = staff_client.get(url).context["adminform"].form
    assert "state" not in form.fields


def xlsx(rows):
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    data.name = "upload.xlsx"
    return data


def import_file(client, model, rows):
    url = reverse(f"admin:competitions_{model}_import")
    return client.post(url, {"format": "1", "import_file": xlsx(rows)}, follow=True)


def test_taxonomy_import_with_a_bad_row_writes_nothing(staff_client):
    before = list(TechnologyField.objects.values_list("code", "name"))
    response = import_file(
        staff_client,
        "technologyfield",
        [["code", "name", "name_ko"], [22, "Space", "우주"], ["not a number", "Broken", "오류"]],
    )
    assert response.status_code == 200
    assert "Errors" in response.content.decode() or "error" in response.content.decode().lower()
    assert list(TechnologyField.objects.values_list("code", "name")) == before


def test_call_import_with_an_invalid_call_writes_nothing_and_says_why(staff_client, demo):
    count = Call.objects.count()
    header = [
        "slug",
        "programme",
        "title",
        "opens_at",
        "closes_at",
        "budget_total",
        "max_awards",
        "subsidy_min",
        "subsidy_max",
    ]
    response = import_file(
        staff_client,
        "call",
        [
            header,
            [
                "good-2023",
                "pilot-city",
                "Good",
                "2023-03-01 09:00",
                "2023-03-20 17:00",
                1_000_000_000,
                5,
                0,
                100_000_000,
            ],
            [
                "bad-2023",
                "pilot-city",
                "Bad",
                "2023-03-01 09:00",
                "2023-03-20 17:00",
                1_000_000_000,
                5,
                200_000_000,
                100_000_000,
            ],
        ],
    )
    assert "cannot exceed the maximum subsidy" in response.content.decode()
    assert Call.objects.count() == count


def test_call_export_lists_the_calls(staff_client, demo):
    response = staff_client.post(
        reverse("admin:competitions_call_export"),
        {
            "format": "1",
            "resource": "0",
            **{f"callresource_{f}": "on" for f in ["slug", "budget_total", "max_awards", "state"]},
        },
    )
    assert response.status_code == 200, response.content[:500]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert "pilot-city-2022" in rows


def test_region_import_updates_by_slug(staff_client):
    response = import_file(
        staff_client,
        "region",
        [
            ["slug", "name", "name_ko", "capital_area", "technologies_2021", "companies_2021"],
            ["sejong", "Sejong", "세종특별자치시", 0, 11, 9],
        ],
    )
    assert response.status_code == 200
    # The import is a two-step process: the preview must be confirmed.
    page = response.content.decode()
    assert "sejong" in page.lower()
    assert Region.objects.filter(slug="sejong").count() == 1
