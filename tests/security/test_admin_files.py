"""No admin page links straight into the file storage: every upload (documents, evidence,
reports, notices' files, workbooks) is served only by its permission-checked view, which logs
the download (audit.access). With object storage a direct link would be a presigned URL that
anyone holding it could open, unlogged; on local disk, a link to the media root, which is not
served. Django's admin shows a read-only file field, and a file input's current value, as such a
link, so each admin must show the file's name, or a link through its view, instead."""

import os
import re

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.urls import reverse

from competitions import notices
from competitions.models import Call
from tests.projects.samples import pdf_bytes

pytestmark = pytest.mark.django_db


def file_fields(model):
    return [field.name for field in model._meta.get_fields() if isinstance(field, models.FileField)]


def admins_with_files():
    found = []
    for model, model_admin in admin.site._registry.items():
        if file_fields(model):
            found.append((model, model_admin))
        for inline in model_admin.inlines:
            if file_fields(inline.model):
                found.append((inline.model, inline(model, admin.site)))
    return found


def test_no_admin_shows_a_file_field_itself(rf, staff_user):
    """Neither as a read-only field (a link to the file's storage URL) nor in the form (the file
    input shows its current value the same way)."""
    request = rf.get("/admin/")
    request.user = staff_user
    checked = []
    for model, model_admin in admins_with_files():
        names = set(file_fields(model))
        shown = set(model_admin.get_fields(request, None)) | set(
            model_admin.get_readonly_fields(request, None)
        )
        for fieldset in model_admin.get_fieldsets(request, None):
            for entry in fieldset[1]["fields"]:
                shown |= set(entry) if isinstance(entry, (list, tuple)) else {entry}
        assert not names & shown, f"{model.__name__}'s admin shows {sorted(names & shown)} as a storage link"
        checked.append(model.__name__)
    # The uploads of every kind are among those checked (a model renamed cannot drop out).
    assert {"Document", "Expenditure", "IndicatorActual", "CallDocument"} <= set(checked)


def test_the_demos_admin_pages_link_no_stored_file(staff_client, staff_user, demo, settings, tmp_path):
    """Every change page of a model with a file, for the demo's rows (and a call's document),
    links no file except through a view of the site's own, and offers no file input."""
    settings.MEDIA_ROOT = tmp_path
    call = Call.objects.order_by("pk").first()
    notices.attach_document(
        call, kind="form", title="Form", upload=SimpleUploadedFile("form.pdf", pdf_bytes()), by=staff_user
    )
    pages = {}
    for model in admin.site._registry:
        if not file_fields(model):
            continue
        for instance in model.objects.all()[:3]:
            url = reverse(
                f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[instance.pk]
            )
            response = staff_client.get(url)
            assert response.status_code == 200, url
            html = response.content.decode()
            links = re.findall(r'href="([^"]*)"', html)
            for name in file_fields(model):
                stored = getattr(instance, name)
                if stored:
                    assert not [link for link in links if stored.name in link], (url, name, "a storage link")
                    assert os.path.basename(stored.name) in html, (url, name, "the file's name is shown")
            assert not [
                link for link in links if link.startswith(settings.MEDIA_URL) and settings.MEDIA_URL != "/"
            ]
            assert 'type="file"' not in html, (url, "a file input would replace what was submitted")
            pages[model.__name__] = pages.get(model.__name__, 0) + 1
    assert {"Expenditure", "IndicatorActual", "CallDocument"} <= set(pages), pages
