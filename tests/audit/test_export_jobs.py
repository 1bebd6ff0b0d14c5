"""Export jobs: built by the task, downloadable only by the person who asked for 24 hours, the
worker re-checks permission, and a failed (or killed) build never serves a partial file."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from audit import exports
from audit.models import ExportJob
from competitions.models import Call
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def auditor(role_groups):
    return UserFactory(roles=[Role.AUDITOR])


def test_an_auditor_asks_for_a_workbook_and_downloads_it(
    client, demo, auditor, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(auditor)
    call = Call.objects.get(slug="pilot-city-2022")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("audit:exports"), {"calls": [call.pk], "lang": "en"})
    job = ExportJob.objects.get()
    assert response.url == reverse("audit:job", args=[job.token])
    assert (job.status, job.progress) == ("done", 100)
    page = client.get(response.url).content.decode()
    assert "Download" in page
    assert "The workbook is ready." in page
    assert "being built" not in page  # no leftover message once the build is done
    download = client.get(reverse("audit:download", args=[job.token]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content)[:2] == b"PK"


def test_only_the_requester_downloads_and_only_for_24_hours(
    client, demo, auditor, role_groups, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    with django_capture_on_commit_callbacks(execute=True):
        job = exports.request_export(auditor, Call.objects.filter(slug="pilot-city-2022"))
    url = reverse("audit:download", args=[job.token])
    client.force_login(StaffFactory())
    assert client.get(url).status_code == 404  # another exporter
    client.force_login(auditor)
    assert client.get(url).status_code == 200
    ExportJob.objects.filter(pk=job.pk).update(finished_at=timezone.now() - timedelta(hours=24, seconds=1))
    assert client.get(url).status_code == 404


def test_the_worker_rechecks_permission(demo, auditor, django_capture_on_commit_callbacks):
    job = exports.request_export(auditor, Call.objects.filter(slug="pilot-city-2022"))  # not run yet
    auditor.groups.clear()
    auditor._gongmo_roles = None
    exports.build(job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and "no longer" in job.error and not job.file


def test_a_failed_build_leaves_nothing_to_download(client, demo, auditor, monkeypatch, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    job = exports.request_export(auditor, Call.objects.filter(slug="pilot-city-2022"))

    def killed(*args, **kwargs):
        raise RuntimeError("worker lost")

    monkeypatch.setattr("audit.funding_workbook.write_funding_workbook", killed)
    with pytest.raises(RuntimeError):
        exports.build(job.pk)
    job.refresh_from_db()
    assert (job.status, job.error, bool(job.file)) == ("failed", "worker lost", False)
    assert not list(tmp_path.rglob("*.xlsx"))
    client.force_login(auditor)
    assert client.get(reverse("audit:download", args=[job.token])).status_code == 404


def test_applicants_and_reviewers_cannot_export(client, role_groups):
    for role in (Role.APPLICANT, Role.REVIEWER):
        client.force_login(UserFactory(roles=[role]))
        assert client.get(reverse("audit:exports")).status_code == 403
