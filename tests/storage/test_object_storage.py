"""Files through Django's storage API into a real S3-compatible bucket (SeaweedFS on loopback):
uploads, evidence and built workbooks land in the bucket and nowhere on the local disk, and
come back only through the views that check permission; the bucket itself refuses anyone
without the credentials."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from accounts.roles import Role
from audit.models import ExportJob
from competitions.models import CallState
from tests.factories import CallFactory, StaffFactory, UserFactory
from tests.objectstore import BUCKET
from tests.projects.samples import docx_bytes

pytestmark = pytest.mark.django_db(transaction=False)


def local_files(settings):
    root = settings.MEDIA_ROOT
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def test_an_upload_lands_in_the_bucket_and_only_the_permission_checked_view_serves_it(
    object_storage, settings, client, draft, applicant, stranger, role_groups
):
    content = docx_bytes()
    client.force_login(applicant)
    response = client.post(
        reverse("projects:document_upload", args=[draft.pk]),
        {"kind": "proposal", "file": SimpleUploadedFile("plan v2.docx", content)},
    )
    assert response.status_code == 302
    document = draft.documents.get(superseded=False, kind="proposal")
    assert document.file.name in object_storage.stored_names()
    assert object_storage.client.get_object(Bucket=BUCKET, Key=document.file.name)["Body"].read() == content
    assert local_files(settings) == []  # nothing on this instance's disk

    url = reverse("projects:document_download", args=[document.pk])
    served = client.get(url)
    assert served.status_code == 200  # streamed by the view, not a redirect to the bucket
    assert b"".join(served.streaming_content) == content
    assert (
        "plan v2.docx" in served["Content-Disposition"] or "plan%20v2.docx" in served["Content-Disposition"]
    )
    client.force_login(stranger)
    assert client.get(url).status_code == 404
    client.force_login(StaffFactory())
    assert b"".join(client.get(url).streaming_content) == content
    # The bucket is private: the object's address without credentials is refused.
    assert object_storage.anonymous_get(document.file.name) in (401, 403)


def test_a_second_upload_of_the_same_name_never_overwrites_the_first(
    object_storage, client, draft, applicant
):
    client.force_login(applicant)
    for _version in range(2):
        client.post(
            reverse("projects:document_upload", args=[draft.pk]),
            {"kind": "other", "file": SimpleUploadedFile("annex.docx", docx_bytes())},
        )
    kept = list(draft.documents.filter(kind="other").order_by("pk"))
    assert len(kept) == 2 and kept[0].file.name != kept[1].file.name
    assert {kept[0].file.name, kept[1].file.name} <= object_storage.stored_names()
    assert kept[0].superseded and not kept[1].superseded  # the first is kept, marked superseded


def test_a_built_workbook_is_kept_in_the_bucket_and_downloaded_by_its_requester_only(
    object_storage, settings, client, role_groups, django_capture_on_commit_callbacks
):
    auditor = UserFactory(roles=[Role.AUDITOR], email="auditor@audit.example")
    call = CallFactory(state=CallState.PUBLISHED, title="Pilot city call")
    client.force_login(auditor)
    with django_capture_on_commit_callbacks(execute=True):  # Celery runs eagerly here
        client.post(reverse("audit:exports"), {"calls": [call.pk], "lang": "en"})
    job = ExportJob.objects.get()
    assert job.status == ExportJob.Status.DONE, job.error
    assert job.file.name in object_storage.stored_names()
    assert local_files(settings) == []

    response = client.get(reverse("audit:download", args=[job.token]))
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    assert "Checks" in workbook.sheetnames
    client.force_login(UserFactory(roles=[Role.AUDITOR], email="other@audit.example"))
    assert client.get(reverse("audit:download", args=[job.token])).status_code == 404
