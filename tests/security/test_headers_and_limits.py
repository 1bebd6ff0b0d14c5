"""Issue 18, headers and limits: the Content-Security-Policy and Permissions-Policy on every page,
``no-store`` on private pages and downloads, and request bodies refused before they are read."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from competitions import notices
from competitions.models import CallState
from config.security_headers import LimitRequestBody
from tests.factories import CallFactory, TrackFactory
from tests.projects.samples import pdf_bytes

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


def directives(response):
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in (p.strip() for p in policy.split(";")) if part}


def test_public_page_carries_a_strict_policy_and_stays_cacheable(client):
    response = client.get(reverse("competitions:call_list"))
    assert response.status_code == 200
    csp = directives(response)
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]
    assert "no-store" not in response.get("Cache-Control", "")


def test_a_private_page_is_never_stored(staff_client):
    response = staff_client.get(reverse("projects:dashboard"))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]
    assert "Content-Security-Policy" in response


def test_the_log_in_page_and_error_pages_carry_the_policy(client):
    for response in (client.get(reverse("accounts:login")), client.get("/no-such-page/")):
        assert directives(response)["script-src"] == ["'self'"]


def test_a_public_download_is_never_stored(client, staff_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    now = timezone.now()
    call = CallFactory(
        state=CallState.PUBLISHED, opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=5)
    )
    TrackFactory(call=call)
    document = notices.attach_document(
        call,
        kind="announcement",
        title="Announcement",
        upload=SimpleUploadedFile("notice.pdf", pdf_bytes()),
        by=staff_user,
    )
    response = client.get(reverse("competitions:document_download", args=[call.slug, document.pk]))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]


def test_no_template_holds_inline_script_or_handlers():
    """The policy refuses inline script: every template's script comes from a file."""
    import re
    from pathlib import Path

    from django.conf import settings

    offenders = []
    for path in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        text = path.read_text()
        for match in re.finditer(r"<script\b[^>]*>", text):
            if "src=" not in match.group(0) and "application/json" not in match.group(0):
                offenders.append(f"{path}: {match.group(0)}")
        if re.search(r"\son[a-z]+\s*=", text) or "javascript:" in text:
            offenders.append(f"{path}: inline handler")
        if path.parts[-2] != "pdf" and re.search(r"\sstyle\s*=", text):
            offenders.append(f"{path}: inline style")
    assert offenders == []


class Unreadable:
    """A request body that fails the test if anything reads it."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = read


def post_claiming(client, url, length, **extra):
    return client.generic(
        "POST",
        url,
        b"",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(length),
        **{"wsgi.input": Unreadable()},
        **extra,
    )


def test_an_anonymous_300_mb_post_is_refused_unread(client):
    response = post_claiming(client, reverse("accounts:login"), 300 * MB)
    assert response.status_code == 413
    text = response.content.decode()
    assert "What you sent is too large" in text
    assert 'id="krds-header"' in text  # the KRDS error page


def test_an_anonymous_body_above_the_anonymous_limit_is_refused_in_korean(client):
    response = post_claiming(client, reverse("accounts:signup"), 65 * 1024, HTTP_ACCEPT_LANGUAGE="ko")
    assert response.status_code == 413
    assert "로그인하지 않으면" in response.content.decode()


def test_logged_in_people_may_send_documents_but_not_oversized_bodies(staff_client):
    url = reverse("evaluation:reviewer_import")
    response = post_claiming(staff_client, url, 101 * MB)
    assert response.status_code == 413
    assert "100 MB" in response.content.decode()


def test_a_logged_in_upload_below_the_limit_passes(rf=None):
    seen = []
    middleware = LimitRequestBody(lambda request: seen.append(request) or HttpResponse("ok"))
    request = RequestFactory().post("/x/", data=b"a" * 100_000, content_type="application/octet-stream")
    request.user = type("U", (), {"is_authenticated": True})()
    assert middleware(request).status_code == 200
    anonymous = RequestFactory().post("/x/", data=b"a" * 100_000, content_type="application/octet-stream")
    anonymous.user = type("U", (), {"is_authenticated": False})()
    assert middleware(anonymous).status_code == 413
    assert len(seen) == 1
