"""Issue 18: a big upload's preview (import-export's dry run) is made by a worker too; its page
shows the counts, the first rows and the bad rows, and its Confirm button starts the write."""

import pytest
from django.urls import reverse
from django_fsm_log.models import StateLog

from accounts.roles import Role
from competitions import import_jobs
from competitions.models import ImportJob
from projects.models import Organisation
from tests.audit.test_imports import BAD_CHECK_DIGIT, preview
from tests.competitions.test_import_jobs import (
    _organisation_type,
    companies,
    stored_job,
    upload_in_background,
)
from tests.factories import OrganisationFactory, StaffFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("small_import_threshold")]


def page_of(client, job):
    return client.get(reverse("competitions:import_job", args=[job.token])).content.decode()


def confirm_url(job):
    return reverse("competitions:import_job_confirm", args=[job.token])


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_a_big_upload_is_previewed_by_the_worker_and_shows_its_result(
    staff_client, staff_user, django_capture_on_commit_callbacks, kind
):
    rows = companies(5)
    existing = OrganisationFactory(registration_number=rows[1][1].replace("-", ""), name="Old name")
    job = upload_in_background(staff_client, rows, django_capture_on_commit_callbacks, kind)
    assert (job.status, job.total_rows, job.rows_done) == (ImportJob.Status.PREVIEWED, 5, 5)
    assert job.preview["totals"] == {"new": 4, "update": 1, "delete": 0, "skip": 0}
    assert [row["row"] for row in job.preview["rows"]] == [1, 2, 3, 4, 5]
    existing.refresh_from_db()
    assert existing.name == "Old name" and Organisation.objects.count() == 1  # nothing written
    page = page_of(staff_client, job)
    assert "To be imported: new: 4, updated: 1, unchanged: 0." in page
    assert "<del>Old name</del> <ins>Company 0</ins>" in page  # the updated row's change
    assert "Company 4" in page and "Business registration number" in page  # the model's column names
    assert f'action="{confirm_url(job)}"' in page and "Confirm import" in page
    assert "data-gongmo-poll" not in page  # checked: the page waits for the staff member
    log = StateLog.objects.for_(job).order_by("pk")
    assert [(entry.transition, entry.state, entry.by) for entry in log] == [
        ("request_preview", "previewing", staff_user),
        ("preview", "previewed", staff_user),
    ]


def test_while_the_worker_checks_the_page_polls_and_offers_no_confirm(staff_client):
    response = preview(staff_client, Organisation, companies(5))  # the worker has not run yet
    job = ImportJob.objects.get()
    assert response.status_code == 302 and job.status == ImportJob.Status.PREVIEWING
    page = page_of(staff_client, job)
    assert "Checking the rows" in page and "nothing is imported yet" in page
    assert 'data-gongmo-poll="2000"' in page and confirm_url(job) not in page


def test_a_big_file_shows_only_the_first_rows_of_its_diff(
    staff_client, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(import_jobs, "PREVIEW_ROWS_SHOWN", 2)
    job = upload_in_background(staff_client, companies(6), django_capture_on_commit_callbacks)
    assert job.preview["totals"]["new"] == 6 and len(job.preview["rows"]) == 2
    page = page_of(staff_client, job)
    assert "The first 2 of 6 rows" in page
    assert "Company 1" in page and "Company 2" not in page


def test_a_bad_files_preview_lists_the_bad_rows_and_offers_no_confirm(
    staff_client, django_capture_on_commit_callbacks
):
    job = upload_in_background(staff_client, companies(6, bad_at=4), django_capture_on_commit_callbacks)
    assert job.status == ImportJob.Status.FAILED
    assert job.errors == [{"row": 4, "message": f"registration_number: {BAD_CHECK_DIGIT}"}]
    assert job.error == "Nothing can be imported: 1 rows have errors. Correct them and import the file again."
    assert not Organisation.objects.exists()
    page = page_of(staff_client, job)
    assert BAD_CHECK_DIGIT in page and "<td>4</td>" in page and "Import a corrected file" in page
    assert confirm_url(job) not in page and "Confirm import" not in page
    # and pressing a stale Confirm anyway writes nothing
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        staff_client.post(confirm_url(job))
    assert not callbacks and not Organisation.objects.exists()
    assert ImportJob.objects.get().status == ImportJob.Status.FAILED


def test_the_preview_is_in_the_requesters_language(staff_user, django_capture_on_commit_callbacks):
    from tests.audit.test_imports import format_index, model_admin

    job = stored_job(staff_user, companies(4, bad_at=3), status=ImportJob.Status.PREVIEWING, lang="ko")
    job = import_jobs.run_preview(job.pk)
    assert job.status == ImportJob.Status.FAILED
    [error] = job.errors
    assert error["row"] == 3 and "사업자등록번호" in error["message"]
    assert job.error.startswith("아무것도 가져올 수 없습니다.")
    good = stored_job(staff_user, companies(4, start=800), status=ImportJob.Status.PREVIEWING, lang="ko")
    assert format_index(model_admin(Organisation).get_import_formats(), "xlsx") == good.input_format
    good = import_jobs.run_preview(good.pk)
    assert good.status == ImportJob.Status.PREVIEWED
    assert "사업자등록번호" in good.preview["headers"]


def test_confirm_after_a_background_preview_writes_every_row_once(
    staff_client, staff_user, django_capture_on_commit_callbacks
):
    job = upload_in_background(staff_client, companies(5), django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        first = staff_client.post(confirm_url(job))
        again = staff_client.post(confirm_url(job))  # a double click
    assert first.url == again.url == reverse("competitions:import_job", args=[job.token])
    job.refresh_from_db()
    assert (job.status, job.rows_done, job.attempts) == (ImportJob.Status.DONE, 5, 1)
    assert job.totals["new"] == 5 and Organisation.objects.count() == 5
    assert StateLog.objects.for_(job).filter(transition="confirm").count() == 1
    assert ImportJob.objects.count() == 1  # the write is the same job
    assert "Every row was imported." in page_of(staff_client, job)


def test_a_small_upload_is_still_previewed_in_the_request(staff_client):
    response = preview(staff_client, Organisation, companies(3))
    assert response.status_code == 200 and "confirm_form" in response.context
    assert not ImportJob.objects.exists()


def test_the_worker_rechecks_the_permission_before_the_preview(staff_user):
    job = stored_job(staff_user, companies(4), status=ImportJob.Status.PREVIEWING)
    staff_user.groups.clear()
    job = import_jobs.run_preview(job.pk)
    assert job.status == ImportJob.Status.FAILED
    assert job.error == "You may no longer import into this list."


def test_a_redelivered_preview_is_safe(staff_user):
    job = stored_job(staff_user, companies(4), status=ImportJob.Status.PREVIEWING, attempts=1)
    job = import_jobs.run_preview(job.pk)  # the first worker died: checked again
    assert (job.status, job.attempts) == (ImportJob.Status.PREVIEWED, 2)
    assert import_jobs.run_preview(job.pk).attempts == 2  # a checked job is left alone
    assert import_jobs.run(job.pk).status == ImportJob.Status.PREVIEWED  # not written unconfirmed
    assert not Organisation.objects.exists()
    tired = stored_job(
        staff_user, companies(4), status=ImportJob.Status.PREVIEWING, attempts=import_jobs.MAX_ATTEMPTS
    )
    tired = import_jobs.run_preview(tired.pk)
    assert tired.status == ImportJob.Status.FAILED
    assert tired.error == "The check was interrupted 3 times; nothing was imported."


@pytest.fixture
def previewed(staff_user):
    return ImportJob.objects.create(
        requested_by=staff_user,
        content_type_id=_organisation_type(),
        file="django-import-export/x.csv",
        original_name="big.csv",
        input_format="0",
        status=ImportJob.Status.PREVIEWED,
        total_rows=3,
        rows_done=3,
        preview={
            "totals": {"new": 3},
            "headers": ["Name"],
            "rows": [{"row": 1, "type": "new", "cells": [["", "A"]]}],
        },
    )


def test_only_the_requester_who_may_import_confirms(client, role_groups, previewed):
    url = confirm_url(previewed)
    client.force_login(StaffFactory())  # may import organisations, but did not ask
    assert client.post(url).status_code == 404
    client.force_login(UserFactory(is_staff=True, roles=[Role.AUDITOR]))  # may not import
    assert client.post(url).status_code == 403
    client.force_login(previewed.requested_by)
    assert client.get(url).status_code == 405  # a link cannot start an import
    client.logout()
    assert client.post(url).status_code == 302
    previewed.refresh_from_db()
    assert previewed.status == ImportJob.Status.PREVIEWED


@pytest.mark.parametrize("row_count", [1, 100])
def test_the_preview_page_reads_a_constant_number_of_queries(
    staff_client, previewed, row_count, django_assert_max_num_queries
):
    rows = [{"row": n, "type": "new", "cells": [["", f"Org {n}"]]} for n in range(1, row_count + 1)]
    ImportJob.objects.filter(pk=previewed.pk).update(preview={**previewed.preview, "rows": rows})
    with django_assert_max_num_queries(8):
        response = staff_client.get(reverse("competitions:import_job", args=[previewed.token]))
    assert response.content.decode().count("<td>Org ") == row_count


def test_the_preview_page_reads_in_korean(client, staff_user):
    from tests.test_korean_pages import WORD, body_text, english_words

    checked = import_jobs.run_preview(
        stored_job(staff_user, companies(4), status=ImportJob.Status.PREVIEWING, lang="ko").pk
    )
    bad = import_jobs.run_preview(
        stored_job(staff_user, companies(4, bad_at=2), status=ImportJob.Status.PREVIEWING, lang="ko").pk
    )
    waiting = stored_job(staff_user, companies(4), status=ImportJob.Status.PREVIEWING, lang="ko")
    assert (checked.status, bad.status) == (ImportJob.Status.PREVIEWED, ImportJob.Status.FAILED)
    # The file's own cells and column keys are data, not wording.
    data = {word.lower() for row in companies(4) for cell in row for word in WORD.findall(str(cell))}
    data |= {"rows", "xlsx", "registration_number"}
    client.force_login(staff_user)
    for job in (checked, bad, waiting):
        page = client.get(reverse("competitions:import_job", args=[job.token]), HTTP_ACCEPT_LANGUAGE="ko")
        assert english_words(body_text(page.content.decode()), data) == [], job.status
    page = client.get(reverse("competitions:import_job", args=[checked.token]), HTTP_ACCEPT_LANGUAGE="ko")
    assert "가져오기 확정" in page.content.decode() and "사업자등록번호" in page.content.decode()


def test_the_sweeper_fails_jobs_no_worker_took_or_whose_worker_died(staff_user, settings):
    from datetime import timedelta

    from django.utils import timezone

    from accounts.system import system_user

    now = timezone.now()
    old = now - timedelta(hours=2)

    def job(status, **fields):
        return stored_job(staff_user, companies(1), status=status, **fields)

    never_taken = job(ImportJob.Status.PREVIEWING, queued_at=old)
    confirmed_long_ago = job(ImportJob.Status.PENDING, queued_at=old, lang="ko")
    died = job(ImportJob.Status.RUNNING, queued_at=old, started_at=old)
    fresh = job(ImportJob.Status.RUNNING, queued_at=old, started_at=now)
    waits_for_a_person = job(ImportJob.Status.PREVIEWED, queued_at=old, started_at=old)
    done = job(ImportJob.Status.DONE, queued_at=old, started_at=old)
    assert sorted(import_jobs.sweep_stale_jobs(now)) == [never_taken.pk, confirmed_long_ago.pk, died.pk]
    for swept in (never_taken, confirmed_long_ago, died):
        swept.refresh_from_db()
        assert swept.status == ImportJob.Status.FAILED
        entry = StateLog.objects.for_(swept).get()
        assert (entry.transition, entry.by) == ("sweep_stale", system_user())
    assert never_taken.error == "No worker took the file; nothing was imported. Import the file again."
    assert "가져오지 않았습니다" in confirmed_long_ago.error  # the requester's language
    assert died.error.startswith("The worker stopped before it finished")
    for kept in (fresh, waits_for_a_person, done):
        status = kept.status
        kept.refresh_from_db()
        assert kept.status == status
    assert import_jobs.sweep_stale_jobs(now) == []  # a second sweep finds nothing
    assert import_jobs.run(died.pk).status == ImportJob.Status.FAILED  # a late redelivery writes nothing
    assert not Organisation.objects.exists()
    schedule = settings.CELERY_BEAT_SCHEDULE["sweep-stale-imports"]
    assert schedule["task"] == "competitions.tasks.sweep_stale_imports"
