"""Password reset by e-mail: Django's views with our pages, the e-mail in the person's language,
no hint whether an address has an account, throttled like the log-in."""

import re

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from accounts.models import User
from projects.models import OutboxMessage
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def ask(client, email, ip="203.0.113.9"):
    return client.post(reverse("accounts:password_reset"), {"email": email}, REMOTE_ADDR=ip)


def link_in(message):
    return re.search(r"https?://[^/\s]+(/accounts/reset/[^\s]+/)", message.body).group(1)


def test_the_log_in_page_links_the_reset(client):
    assert reverse("accounts:password_reset") in client.get(reverse("accounts:login")).content.decode()


def test_a_reset_link_sets_a_new_password_once(client, role_groups):
    person = UserFactory(email="jiwoo@dalbit.example")
    response = ask(client, "Jiwoo@Dalbit.example")
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["jiwoo@dalbit.example"]
    assert "jiwoo@dalbit.example" in message.body
    # Not kept in the outbox table, where staff could read the link.
    assert not OutboxMessage.objects.exists()
    form = client.get(link_in(message), follow=True)
    assert form.status_code == 200 and 'name="new_password1"' in form.content.decode()
    url = form.redirect_chain[-1][0]
    done = client.post(
        url, {"new_password1": "Moonlight-Mobility-2027", "new_password2": "Moonlight-Mobility-2027"}
    )
    assert done["Location"] == reverse("accounts:password_reset_complete")
    assert User.objects.get(pk=person.pk).check_password("Moonlight-Mobility-2027")
    # The link works once.
    again = client.get(link_in(message), follow=True).content.decode()
    assert "This link has expired or was already used." in again


def test_a_weak_new_password_is_refused_with_the_reason(client, role_groups):
    UserFactory(email="jiwoo@dalbit.example")
    ask(client, "jiwoo@dalbit.example")
    form = client.get(link_in(mail.outbox[0]), follow=True)
    url = form.redirect_chain[-1][0]
    response = client.post(url, {"new_password1": "short", "new_password2": "short"})
    assert response.status_code == 200
    assert "at least 10 characters" in response.content.decode()


def test_the_e_mail_is_in_the_persons_language(client, role_groups):
    UserFactory(email="minsu@dalbit.example", language="ko")
    ask(client, "minsu@dalbit.example")
    message = mail.outbox[0]
    assert "비밀번호" in message.subject
    assert "비밀번호" in message.body


def test_an_unknown_address_looks_the_same_and_sends_nothing(client):
    response = ask(client, "nobody@dalbit.example")
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert mail.outbox == []


@override_settings(PASSWORD_RESET_RATE="2/h")
def test_requests_are_throttled_per_address_and_per_network(client, role_groups):
    UserFactory(email="jiwoo@dalbit.example")
    for n in range(2):
        assert ask(client, "jiwoo@dalbit.example", ip=f"198.51.100.{n + 1}").status_code == 302
    # A third for the same e-mail address, from yet another network: refused.
    refused = ask(client, "jiwoo@dalbit.example", ip="198.51.100.9")
    assert refused.status_code == 429
    assert "Too many password reset requests" in refused.content.decode()
    assert len(mail.outbox) == 2
    # One network asking for many addresses is stopped too.
    for n in range(2):
        ask(client, f"other{n}@dalbit.example", ip="192.0.2.1")
    assert ask(client, "other9@dalbit.example", ip="192.0.2.1").status_code == 429
