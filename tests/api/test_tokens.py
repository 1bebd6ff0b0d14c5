"""Personal access tokens: made on the account's page and shown once, stored as a hash,
scoped, expiring, revocable; the API refuses an unknown, expired or revoked one."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from api import tokens
from api.models import PersonalAccessToken
from projects.models import Application
from tests.factories import UserFactory

from .conftest import api_client

pytestmark = pytest.mark.django_db

PAGE = "/accounts/tokens/"


def test_a_token_is_shown_once_and_only_its_hash_is_kept(client, applicant):
    client.force_login(applicant)
    response = client.post(PAGE, {"name": "e-Nara bridge", "scope": "read", "days": "30"})
    assert response.status_code == 200
    token = PersonalAccessToken.objects.get(user=applicant)
    raw = response.context["created"]["raw"]
    assert raw.startswith("gm_") and raw in response.content.decode()
    assert token.token_hash == tokens.digest(raw) and raw not in token.token_hash
    assert token.prefix == raw[:10] and token.scope == "read"
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)
    assert response["Cache-Control"].startswith("max-age=0") or "no-cache" in response["Cache-Control"]
    # The list shows it by name and beginning, never the token again.
    listing = client.get(PAGE).content.decode()
    assert "e-Nara bridge" in listing and token.prefix in listing and raw not in listing


def test_bad_input_makes_no_token_and_says_why(client, applicant):
    client.force_login(applicant)
    response = client.post(PAGE, {"name": " ", "scope": "admin", "days": "10000"})
    assert response.status_code == 200
    assert not PersonalAccessToken.objects.exists()
    errors = response.context["form"].errors
    assert set(errors) == {"name", "scope", "days"}
    with pytest.raises(ValidationError) as refused:
        tokens.create_token(applicant, name="", scope="read", days=3)
    assert set(refused.value.message_dict) == {"name", "days"}


def test_the_page_needs_a_login(client):
    response = client.get(PAGE)
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_revoked_and_expired_tokens_are_refused(applicant):
    token, raw = tokens.create_token(applicant, name="a", scope="read", days=7)
    client = api_client()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/applications/").status_code == 200
    tokens.revoke_token(token, by=applicant)
    response = client.get("/api/v1/applications/")
    assert response.status_code == 401
    assert response.json()["detail"] == "This token is unknown, expired or revoked."
    assert response["WWW-Authenticate"] == "Bearer"

    _old, raw = tokens.create_token(
        applicant, name="b", scope="read", days=7, now=timezone.now() - timedelta(days=8)
    )
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/applications/").status_code == 401


def test_unknown_and_malformed_tokens_are_refused_in_the_callers_language(applicant):
    client = api_client(language="ko")
    for header in ("Bearer gm_nothing", "Bearer", "Bearer two words", "Bearer " + "x" * 200):
        client.credentials(HTTP_AUTHORIZATION=header)
        response = client.get("/api/v1/applications/")
        assert response.status_code == 401, header
        assert any("\uac00" <= ch <= "\ud7a3" for ch in response.json()["detail"]), response.json()


def test_a_deactivated_person_s_token_stops_working(applicant):
    client = api_client(applicant)
    applicant.is_active = False
    applicant.save()
    assert client.get("/api/v1/applications/").status_code == 401


def test_a_read_token_reads_but_never_writes(draft, applicant):
    client = api_client(applicant, scope="read")
    assert client.get(f"/api/v1/applications/{draft.pk}/").status_code == 200
    response = client.post(f"/api/v1/applications/{draft.pk}/submit/")
    assert response.status_code == 403
    assert "write scope" in response.json()["detail"]
    assert Application.objects.get(pk=draft.pk).state == "draft"


def test_last_use_is_recorded(applicant):
    token, raw = tokens.create_token(applicant, name="a", scope="read", days=7)
    assert token.last_used_at is None
    client = api_client()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    client.get("/api/v1/organisations/")
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_revoking_on_the_page_keeps_the_token_on_record(client, applicant):
    token, raw = tokens.create_token(applicant, name="old script", scope="write", days=30)
    other = UserFactory()
    other_token, _raw = tokens.create_token(other, name="theirs", scope="read", days=30)
    client.force_login(applicant)
    response = client.post(f"/accounts/tokens/{token.pk}/revoke/", follow=True)
    assert response.status_code == 200
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by == applicant
    assert "Revoked" in response.content.decode()
    # Someone else's token: not found, and untouched.
    assert client.post(f"/accounts/tokens/{other_token.pk}/revoke/").status_code == 404
    other_token.refresh_from_db()
    assert other_token.revoked_at is None
    with pytest.raises(PermissionDenied):
        tokens.revoke_token(other_token, by=applicant)
    # Revoking twice changes nothing.
    first = token.revoked_at
    tokens.revoke_token(token, by=applicant)
    token.refresh_from_db()
    assert token.revoked_at == first


def test_the_lifetime_choices_read_in_the_page_language_whatever_was_active_at_import(client, applicant):
    from django.utils import translation

    from api.forms import TokenForm

    with translation.override("en"):
        assert [str(label) for _days, label in TokenForm().fields["days"].choices][:2] == [
            "7 days",
            "30 days",
        ]
    client.force_login(applicant)
    page = client.get(reverse("api_tokens"), HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "90일" in page and "90 days" not in page
