"""Issue 18: a big staff import is confirmed in the admin and written by a worker, with a
progress page; still all or nothing; small imports are written in the request as before."""

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse
from django_fsm_log.models import StateLog

from accounts.roles import Role
from audit.models import AccessEvent
from competitions import import_jobs
from competitions.models import ImportJob
from projects.models import Organisation
from tests.audit.test_imports import (
    BAD_CHECK_DIGIT,
    ORGANISATION_HEADER,
    bad_number,
    confirm,
    preview,
    valid_number,
)
from tests.factories import StaffFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("small_import_threshold")]


def companies(count, start=700, bad_at=None):
    """The organisation sheet with ``count`` rows; row ``bad_at`` (1 = below the header) has a
    registration number whose check digit is wrong."""
    return [ORGANISATION_HEADER] + [
        [
            f"Company {n}",
            bad_number(start + n) if n + 1 == bad_at else valid_number(start + n),
            "company",
            "busan",
            "ict",
            "",
            "",
            0,
            0,
            0,
        ]
        for n in range(count)
    ]


def upload_in_background(client, rows, capture, kind="xlsx"):
    """Upload the rows: above the threshold the preview is a job, checked by the worker (eager,
    after commit), and the staff member is sent to its page."""
    with capture(execute=True):
        response = preview(client, Organisation, rows, kind)
    job = ImportJob.objects.order_by("-pk").first()
    assert response.status_code == 302, "the preview was made in the request"
    assert response.url == reverse("competitions:import_job", args=[job.token])
    job.refresh_from_db()
    return job


def confirm_in_background(client, rows, capture, kind="xlsx"):
    """Upload the rows, then press the preview page's Confirm with the worker running."""
    job = upload_in_background(client, rows, capture, kind)
    assert job.status == ImportJob.Status.PREVIEWED, job.errors or job.error
    with capture(execute=True):
        return client.post(reverse("competitions:import_job_confirm", args=[job.token]), follow=True)


def preview_in_request(client, rows, kind="xlsx"):
    """The upload previewed in the request, as a small file is (the thresholds raised for it),
    so that the confirm form's own background path can be exercised."""
    with override_settings(IMPORT_BACKGROUND_ROWS=10**6, IMPORT_BACKGROUND_BYTES=10**9):
        return preview(client, Organisation, rows, kind)


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_a_big_import_runs_in_the_background_and_reaches_100_percent(
    staff_client, staff_user, django_capture_on_commit_callbacks, kind
):
    response = confirm_in_background(staff_client, companies(5), django_capture_on_commit_callbacks, kind)
    job = ImportJob.objects.get()
    assert response.redirect_chain == [(reverse("competitions:import_job", args=[job.token]), 302)]
    assert (job.status, job.total_rows, job.rows_done) == (ImportJob.Status.DONE, 5, 5)
    assert job.totals == {"new": 5, "update": 0, "delete": 0, "skip": 0}
    assert job.requested_by == staff_user and job.finished_at is not None
    assert Organisation.objects.count() == 5
    assert job.file.storage.exists(job.file.name)  # what was submitted stays with the job
    assert "Waiting" in response.content.decode()  # the page shown on the redirect, before the worker ran
    page = staff_client.get(response.redirect_chain[0][0]).content.decode()
    assert "5 of 5 rows" in page and 'value="100"' in page
    assert "data-gongmo-poll" not in page  # finished: the page stops asking to be read again
    # Who asked and when, and how it ended, are in the state log; and in the admin's history.
    log = StateLog.objects.for_(job).order_by("pk")
    assert [(entry.transition, entry.state, entry.by) for entry in log] == [
        ("request_preview", "previewing", staff_user),
        ("preview", "previewed", staff_user),
        ("confirm", "pending", staff_user),
        ("finish", "done", staff_user),
    ]
    assert "5 new" in log.last().description
    assert staff_user.logentry_set.count() == 5
    [event] = AccessEvent.objects.filter(action="admin_import")  # and in the access log
    assert (event.actor, event.target) == (staff_user, f"projects.Organisation: upload.{kind}")
    assert event.detail == {"list": "projects.Organisation", "totals": job.totals, "job": str(job.token)}


def test_a_bad_row_fails_the_job_names_the_row_and_writes_nothing(
    staff_client, django_capture_on_commit_callbacks
):
    from tests.audit.test_imports import xlsx

    job = upload_in_background(staff_client, companies(6), django_capture_on_commit_callbacks)
    assert job.status == ImportJob.Status.PREVIEWED
    # The file on disk changes between the preview and the confirm: the write checks it again.
    job.file.storage.delete(job.file.name)
    job.file.storage.save(job.file.name, xlsx(companies(6, bad_at=4)))
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(reverse("competitions:import_job_confirm", args=[job.token]))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert job.errors == [{"row": 4, "message": f"registration_number: {BAD_CHECK_DIGIT}"}]
    assert job.error == "Nothing was imported: 1 rows have errors."
    assert not Organisation.objects.exists()  # rows 1-3 and 5-6 were rolled back too
    assert not AccessEvent.objects.filter(action="admin_import").exists()
    page = staff_client.get(reverse("competitions:import_job", args=[job.token])).content.decode()
    assert "Nothing was imported" in page and BAD_CHECK_DIGIT in page
    assert StateLog.objects.for_(job).last().transition == "fail"


def test_row_errors_are_in_the_requesters_language(staff_user, django_capture_on_commit_callbacks):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.utils import translation

    from tests.audit.test_imports import format_index, model_admin, xlsx

    stored = default_storage.save(
        "django-import-export/bad.xlsx", ContentFile(xlsx(companies(4, bad_at=3)).read())
    )
    with translation.override("ko"), django_capture_on_commit_callbacks(execute=True):
        job = import_jobs.start_import(
            staff_user,
            Organisation,
            stored_name=stored,
            original_name="bad.xlsx",
            input_format=format_index(model_admin(Organisation).get_import_formats(), "xlsx"),
        )
    job.refresh_from_db()
    assert (job.lang, job.status) == ("ko", ImportJob.Status.FAILED)
    [error] = job.errors
    assert error["row"] == 3
    assert error["message"].startswith("registration_number: ")
    assert BAD_CHECK_DIGIT not in error["message"] and "사업자등록번호" in error["message"]
    assert "Nothing was imported" not in job.error and "가져오지" in job.error
    assert not Organisation.objects.exists()


def test_a_small_import_is_still_written_in_the_request(staff_client, django_capture_on_commit_callbacks):
    response = preview(staff_client, Organisation, companies(3))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = confirm(staff_client, Organisation, response)
    assert not callbacks
    assert not ImportJob.objects.exists()
    assert Organisation.objects.count() == 3
    assert "Import finished: 3 new" in response.content.decode()
    [event] = AccessEvent.objects.filter(action="admin_import")
    assert event.target == "projects.Organisation: upload.xlsx" and event.detail["totals"]["new"] == 3


def test_the_byte_threshold_alone_sends_an_import_to_the_background(
    staff_client, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_BACKGROUND_ROWS = 1000
    settings.IMPORT_BACKGROUND_BYTES = 100
    confirm_in_background(staff_client, companies(2), django_capture_on_commit_callbacks, "csv")
    assert ImportJob.objects.get().status == ImportJob.Status.DONE
    assert Organisation.objects.count() == 2


def test_progress_is_shown_while_the_worker_runs(staff_client, staff_user):
    job = ImportJob.objects.create(
        requested_by=staff_user,
        content_type_id=_organisation_type(),
        file="imports/x.csv",
        original_name="big.csv",
        input_format="0",
        status=ImportJob.Status.RUNNING,
        total_rows=400,
    )
    cache.set(import_jobs.progress_key(job), 100)
    page = staff_client.get(reverse("competitions:import_job", args=[job.token])).content.decode()
    assert "100 of 400 rows" in page and 'value="25"' in page
    assert 'data-gongmo-poll="2000"' in page and 'aria-live="polite"' in page
    assert "<meta http-equiv" not in page


def test_the_worker_rechecks_the_permission(staff_user, django_capture_on_commit_callbacks):
    job = ImportJob.objects.create(
        requested_by=staff_user,
        content_type_id=_organisation_type(),
        file="imports/x.csv",
        original_name="big.csv",
        input_format="0",
    )
    staff_user.groups.clear()
    staff_user = type(staff_user).objects.get(pk=staff_user.pk)
    job = import_jobs.run(job.pk)
    assert job.status == ImportJob.Status.FAILED
    assert job.error == "You may no longer import into this list."


def _organisation_type():
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(Organisation).pk


@pytest.fixture
def job(staff_user):
    return ImportJob.objects.create(
        requested_by=staff_user,
        content_type_id=_organisation_type(),
        file="imports/x.csv",
        original_name="big.csv",
        input_format="0",
        status=ImportJob.Status.FAILED,
        errors=[{"row": n, "message": "bad"} for n in range(1, 40)],
    )


def test_only_the_requester_with_the_import_permission_sees_the_page(client, role_groups, job):
    url = reverse("competitions:import_job", args=[job.token])
    client.force_login(job.requested_by)
    assert client.get(url).status_code == 200
    client.force_login(StaffFactory())  # may import organisations, but did not ask
    assert client.get(url).status_code == 404
    client.force_login(UserFactory(is_staff=True, roles=[Role.AUDITOR]))  # may not import
    assert client.get(url).status_code == 403
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_organisation"))
    client.force_login(viewer)
    assert client.get(url).status_code == 403
    client.logout()
    assert client.get(url).status_code == 302


@pytest.mark.parametrize("error_count", [1, 39])
def test_the_progress_page_reads_a_constant_number_of_queries(
    staff_client, job, error_count, django_assert_max_num_queries
):
    ImportJob.objects.filter(pk=job.pk).update(errors=job.errors[:error_count])
    with django_assert_max_num_queries(8):
        response = staff_client.get(reverse("competitions:import_job", args=[job.token]))
    assert response.content.decode().count("<td>bad</td>") == error_count


def stored_job(user, rows, **fields):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from tests.audit.test_imports import format_index, model_admin, xlsx

    name = default_storage.save("django-import-export/rows.xlsx", ContentFile(xlsx(rows).read()))
    return ImportJob.objects.create(
        requested_by=user,
        content_type_id=_organisation_type(),
        file=name,
        original_name="rows.xlsx",
        input_format=format_index(model_admin(Organisation).get_import_formats(), "xlsx"),
        **fields,
    )


def test_a_job_whose_worker_died_is_imported_again_on_redelivery(staff_user):
    job = stored_job(staff_user, companies(4), status=ImportJob.Status.RUNNING, attempts=1)
    job = import_jobs.run(job.pk)  # the broker hands the message to another worker
    assert (job.status, job.attempts, job.rows_done) == (ImportJob.Status.DONE, 2, 4)
    assert Organisation.objects.count() == 4
    assert import_jobs.run(job.pk).attempts == 2  # a finished job is left alone
    assert Organisation.objects.count() == 4


def test_a_job_interrupted_too_often_fails_and_writes_nothing(staff_user):
    job = stored_job(
        staff_user, companies(4), status=ImportJob.Status.RUNNING, attempts=import_jobs.MAX_ATTEMPTS
    )
    job = import_jobs.run(job.pk)
    assert job.status == ImportJob.Status.FAILED
    assert job.error == "The import was interrupted 3 times; nothing was imported."
    assert not Organisation.objects.exists()


def test_a_second_confirm_finds_the_first_job_and_imports_nothing_twice(
    staff_client, django_capture_on_commit_callbacks
):
    response = preview_in_request(staff_client, companies(5))
    with django_capture_on_commit_callbacks(execute=True):
        first = confirm(staff_client, Organisation, response)
        again = confirm(staff_client, Organisation, response)
    job = ImportJob.objects.get()
    assert first.redirect_chain[0][0] == again.redirect_chain[0][0] == f"/staff/imports/{job.token}/"
    assert Organisation.objects.count() == 5


def test_a_vanished_preview_is_said_in_plain_words(staff_client):
    from import_export.tmp_storages import MediaStorage

    response = preview_in_request(staff_client, companies(5))
    MediaStorage(name=response.context["confirm_form"].initial["import_file_name"]).remove()
    response = confirm(staff_client, Organisation, response)
    assert response.redirect_chain[-1][0] == reverse("admin:projects_organisation_import")
    assert "This preview is no longer available; upload the file again." in response.content.decode()
    assert not ImportJob.objects.exists() and not Organisation.objects.exists()
