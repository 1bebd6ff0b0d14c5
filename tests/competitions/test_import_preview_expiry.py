"""Issue 18: a preview never confirmed expires IMPORT_PREVIEW_TTL_HOURS after it was made. The
sweeper marks a background preview expired (the job kept, the change logged) and deletes only
its stored upload, and deletes the upload of a small preview made in the request that nobody
confirmed; confirming an expired preview is refused with the reason. Time is moved by giving
the sweeper its ``now`` (neither freezegun nor time-machine is installed)."""

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone
from django_fsm_log.models import StateLog

from accounts.system import system_user
from competitions import import_jobs
from competitions.models import ImportJob
from competitions.tasks import sweep_stale_imports
from projects.models import Organisation
from tests.audit.test_imports import confirm
from tests.competitions.test_import_jobs import companies, preview_in_request, stored_job

pytestmark = pytest.mark.django_db

EXPIRED = (
    "This preview expired: it was not confirmed within 24 hours, so nothing was imported and the "
    "uploaded file was deleted. Upload the file again."
)


@pytest.fixture(autouse=True)
def _small_threshold(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.IMPORT_BACKGROUND_ROWS = 3
    settings.IMPORT_BACKGROUND_BYTES = 1024 * 1024


def checked(user, **fields):
    """A big file's preview, made by the worker: previewed, waiting for its confirm."""
    job = import_jobs.run_preview(
        stored_job(user, companies(4), status=ImportJob.Status.PREVIEWING, **fields).pk
    )
    assert job.status == ImportJob.Status.PREVIEWED and job.previewed_at is not None
    return job


def test_a_preview_never_confirmed_expires_its_job_kept_its_upload_deleted(
    staff_user, settings, django_capture_on_commit_callbacks
):
    assert settings.IMPORT_PREVIEW_TTL_HOURS == 24
    job = checked(staff_user)
    korean = checked(staff_user, lang="ko")
    others = [
        stored_job(staff_user, companies(1), status=status)
        for status in (ImportJob.Status.DONE, ImportJob.Status.FAILED)
    ]
    made = job.previewed_at
    with django_capture_on_commit_callbacks(execute=True):
        assert import_jobs.expire_previews(made + timedelta(hours=23)) == []
    assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.PREVIEWED
    assert default_storage.exists(job.file.name)

    with django_capture_on_commit_callbacks(execute=True):
        assert import_jobs.expire_previews(made + timedelta(hours=25)) == [job.pk, korean.pk]
    job.refresh_from_db()
    assert (job.status, job.error, job.rows_done) == (ImportJob.Status.EXPIRED, EXPIRED, 0)
    assert job.preview["totals"]["new"] == 4  # the row is kept as it was checked
    entry = StateLog.objects.for_(job).order_by("timestamp", "pk").last()
    assert (entry.transition, entry.source_state, entry.state, entry.by) == (
        "expire",
        ImportJob.Status.PREVIEWED,
        ImportJob.Status.EXPIRED,
        system_user(),
    )
    assert entry.description == EXPIRED
    # Only the stored upload goes: the job still names it.
    assert job.file.name and not default_storage.exists(job.file.name)
    korean.refresh_from_db()
    assert "만료" in korean.error
    for other in others:
        status = other.status
        other.refresh_from_db()
        assert other.status == status and default_storage.exists(other.file.name)
    assert import_jobs.expire_previews(made + timedelta(hours=48)) == []  # a second sweep finds nothing


def test_the_time_to_live_is_a_setting_and_the_beat_task_expires(staff_user, settings):
    settings.IMPORT_PREVIEW_TTL_HOURS = 1
    job = checked(staff_user)
    assert import_jobs.expire_previews(job.previewed_at + timedelta(minutes=59)) == []
    ImportJob.objects.filter(pk=job.pk).update(previewed_at=timezone.now() - timedelta(minutes=61))
    assert sweep_stale_imports() == {"failed": [], "expired": [job.pk]}
    job.refresh_from_db()
    assert job.status == ImportJob.Status.EXPIRED
    assert job.error.startswith("This preview expired: it was not confirmed within 1 hour, so")


def test_confirming_an_expired_preview_is_refused_with_the_reason(
    client, staff_user, django_capture_on_commit_callbacks
):
    job = checked(staff_user, lang="ko")
    # Overdue, the sweeper not yet passed: the confirm expires it and refuses.
    ImportJob.objects.filter(pk=job.pk).update(previewed_at=timezone.now() - timedelta(hours=25))
    client.force_login(staff_user)
    url = reverse("competitions:import_job_confirm", args=[job.token])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("competitions:import_job", args=[job.token])
    assert [str(m) for m in response.context["messages"]] == [EXPIRED]
    page = response.content.decode()
    assert "Preview expired" in page and "Upload the file again" in page and "Confirm import" not in page
    job.refresh_from_db()
    assert job.status == ImportJob.Status.EXPIRED and not default_storage.exists(job.file.name)
    assert [e.transition for e in StateLog.objects.for_(job).order_by("timestamp", "pk")][-1] == "expire"
    # Again, and in Korean: refused, nothing queued, nothing imported.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, follow=True, HTTP_ACCEPT_LANGUAGE="ko")
    [message] = [str(m) for m in response.context["messages"]]
    assert "만료" in message and "24" in message
    from tests.test_korean_pages import body_text, english_words

    assert english_words(body_text(response.content.decode()), {"rows", "xlsx"}) == []
    assert not Organisation.objects.exists()
    assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.EXPIRED


def test_a_preview_confirmed_in_time_is_imported(staff_user, django_capture_on_commit_callbacks):
    job = checked(staff_user)
    ImportJob.objects.filter(pk=job.pk).update(previewed_at=timezone.now() - timedelta(hours=23))
    with django_capture_on_commit_callbacks(execute=True):
        assert import_jobs.confirm(job, staff_user) is True
    assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.DONE
    assert Organisation.objects.count() == 4


def test_the_upload_of_a_small_preview_never_confirmed_is_deleted(staff_client, staff_user):
    response = preview_in_request(staff_client, companies(2))
    name = f"django-import-export/{response.context['confirm_form'].initial['import_file_name']}"
    held = stored_job(staff_user, companies(1), status=ImportJob.Status.DONE)
    assert default_storage.exists(name)
    import_jobs.expire_previews(timezone.now() + timedelta(hours=23))
    assert default_storage.exists(name)
    import_jobs.expire_previews(timezone.now() + timedelta(hours=25))
    assert not default_storage.exists(name)
    assert default_storage.exists(held.file.name)  # a job's file is the job's
    response = confirm(staff_client, Organisation, response)
    assert "This preview is no longer available; upload the file again." in response.content.decode()
    assert not Organisation.objects.exists()
