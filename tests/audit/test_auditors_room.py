"""The auditors' room (/audit/) as a dashboard: every call with its export buttons, the latest
workbooks (status, who, when) with a download link only for the requester while it is valid;
for staff and auditors only; constant queries at two sizes."""

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from audit.models import ExportJob
from competitions.models import CallState
from tests.factories import CallFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def auditor(role_groups):
    return UserFactory(roles=[Role.AUDITOR], email="auditor@audit.example")


def job(user, calls, *, status=ExportJob.Status.DONE, finished_hours_ago=1):
    finished = timezone.now() - timedelta(hours=finished_hours_ago)
    created = ExportJob.objects.create(
        requested_by=user,
        status=status,
        progress=100 if status == ExportJob.Status.DONE else 40,
        file="exports/book.xlsx" if status == ExportJob.Status.DONE else "",
        finished_at=finished if status != ExportJob.Status.RUNNING else None,
    )
    created.calls.set(calls)
    return created


def test_every_public_call_has_its_export_buttons(client, auditor):
    published = CallFactory(state=CallState.PUBLISHED, title="Pilot city call")
    draft = CallFactory(state=CallState.DRAFT, title="Draft call")
    client.force_login(auditor)
    page = client.get(reverse("audit:exports")).content.decode()
    assert "Pilot city call" in page and "Draft call" not in page
    assert f'name="calls" value="{published.pk}"' in page
    assert f'name="calls" value="{draft.pk}"' not in page
    assert 'name="lang" value="en"' in page and 'name="lang" value="ko"' in page


def test_one_button_asks_for_that_calls_workbook(client, auditor, django_capture_on_commit_callbacks):
    call = CallFactory(state=CallState.PUBLISHED)
    client.force_login(auditor)
    with (
        mock.patch("audit.tasks.build_export.delay") as build,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(reverse("audit:exports"), {"calls": [call.pk], "lang": "ko"})
    created = ExportJob.objects.get()
    assert response.url == reverse("audit:job", args=[created.token])
    assert (list(created.calls.all()), created.lang, created.requested_by) == ([call], "ko", auditor)
    build.assert_called_once_with(created.pk)


def test_latest_workbooks_show_status_who_and_when_with_downloads_only_for_the_requester(client, auditor):
    call = CallFactory(state=CallState.PUBLISHED, title="Pilot city call")
    colleague = StaffFactory(email="colleague@ministry.example")
    mine = job(auditor, [call])
    expired = job(auditor, [call], finished_hours_ago=30)
    theirs = job(colleague, [call])
    failed = job(colleague, [call], status=ExportJob.Status.FAILED)
    client.force_login(auditor)
    response = client.get(reverse("audit:exports"))
    rows = dict(response.context["jobs"])
    assert rows == {mine: True, expired: False, theirs: False, failed: False}
    page = response.content.decode()
    assert reverse("audit:download", args=[mine.token]) in page
    for other in (expired, theirs, failed):
        assert reverse("audit:download", args=[other.token]) not in page
    assert "colleague@ministry.example" in page and "Build failed" in page and "Expired" in page


@pytest.mark.parametrize("role", [Role.APPLICANT, Role.REVIEWER])
def test_only_staff_and_auditors_enter(client, role_groups, role):
    url = reverse("audit:exports")
    assert client.get(url).status_code == 302
    client.force_login(UserFactory(roles=[role]))
    assert client.get(url).status_code == 403
    client.force_login(StaffFactory())
    assert client.get(url).status_code == 200


def test_korean_headers_and_seoul_times(client, auditor):
    """In Korean the column headers are Korean and every time is Seoul's (UTC+9), marked so."""
    closes = datetime(2026, 3, 25, 8, 0, tzinfo=UTC)  # 17:00 in Seoul
    call = CallFactory(state=CallState.PUBLISHED, closes_at=closes)
    asked = job(auditor, [call])
    ExportJob.objects.filter(pk=asked.pk).update(created_at=datetime(2026, 4, 1, 23, 30, tzinfo=UTC))
    client.force_login(auditor)
    page = client.get(reverse("audit:exports"), HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    for header in ("접수 마감 일시", "요청 일시", "요청자"):
        assert f'<th scope="col">{header}</th>' in page, header
    assert "Reception closes" not in page and "Requested by" not in page
    assert "한국시간 2026-03-25 17:00" in page  # the reception's close
    assert "한국시간 2026-04-02 08:30" in page  # asked for at 23:30 UTC, the next morning in Seoul


@pytest.mark.parametrize("count", [1, 8])
def test_the_room_runs_in_constant_queries(client, auditor, count, django_assert_max_num_queries):
    calls = [CallFactory(state=CallState.PUBLISHED) for _n in range(count)]
    for call in calls:
        job(auditor, [call])
        job(StaffFactory(), calls[:2])
    client.force_login(auditor)
    # 8: one of them reads the second factor the session was verified with (django-otp).
    with django_assert_max_num_queries(8):
        response = client.get(reverse("audit:exports"))
    assert len(response.context["jobs"]) == 2 * count


@pytest.mark.parametrize(
    ("status", "says", "never"),
    [
        (ExportJob.Status.PENDING, "waits for its turn", "is ready"),
        (ExportJob.Status.RUNNING, "is being built", "is ready"),
        (ExportJob.Status.DONE, "The workbook is ready.", "being built"),
        (ExportJob.Status.FAILED, "could not be built", "being built"),
    ],
)
def test_the_job_page_says_what_its_state_is(client, auditor, status, says, never):
    mine = job(auditor, [CallFactory(state=CallState.PUBLISHED)], status=status)
    client.force_login(auditor)
    page = client.get(reverse("audit:job", args=[mine.token])).content.decode()
    assert says in page
    assert never not in page
    # No meta refresh (it moved the focus every 2 s): while building, the page asks job-status.js
    # to poll it into a polite live region, with a link to reload by hand for those without it.
    assert "http-equiv" not in page
    building = status in (ExportJob.Status.PENDING, ExportJob.Status.RUNNING)
    assert ("data-gongmo-poll" in page) == building
    assert ('class="gongmo-job-refresh"' in page) == building
    assert 'id="gongmo-job-status" role="status" aria-live="polite"' in page
    assert "gongmo/job-status.js" in page
    assert "<script>" not in page  # nothing inline: a strict CSP is coming
