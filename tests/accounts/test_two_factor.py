"""Two-factor log-in (accounts/two_factor.py): staff log in with a TOTP code computed here, a
wrong code is refused, a recovery code works once, staff without an authenticator are sent to
enrolment, and every change of a second factor is logged."""

import re

import pytest
from django.contrib.admin.models import LogEntry
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import two_factor
from accounts.roles import Role, group_for
from tests.factories import StaffFactory, UserFactory

PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's
pytestmark = pytest.mark.django_db


def code_for(device, offset=0):
    """The code the person's authenticator app shows (``offset`` time steps later)."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0 - offset * device.step, digits=device.digits):06d}"


def log_in(client, email):
    return client.post(reverse("accounts:login"), {"username": email, "password": PASSWORD})


@pytest.fixture
def staff(role_groups):
    user = StaffFactory(email="official@gongmo.example")
    return user


@pytest.fixture
def enrolled_staff(staff):
    device = TOTPDevice.objects.create(user=staff, name="authenticator", confirmed=True)
    codes = two_factor._replace_recovery_codes(staff)
    return staff, device, codes


def test_staff_log_in_with_a_totp_code_computed_here(client, enrolled_staff):
    staff, device, _codes = enrolled_staff
    response = log_in(client, staff.email)
    verify_url = reverse("accounts:two_factor_verify")
    assert response.status_code == 302 and response["Location"].startswith(verify_url)
    # Logged in by password, but the staff pages and the admin stay closed until verified.
    for page in (reverse("evaluation:staff_home"), "/admin/"):
        blocked = client.get(page)
        assert blocked.status_code == 302 and blocked["Location"].startswith(verify_url)
    response = client.post(response["Location"], {"code": code_for(device)})
    assert response.status_code == 302
    assert response["Location"] == reverse("evaluation:staff_home")
    assert client.get(reverse("evaluation:staff_home")).status_code == 200
    assert client.get("/admin/").status_code == 200


def test_a_wrong_code_is_refused_and_changes_nothing(client, enrolled_staff):
    staff, device, _codes = enrolled_staff
    log_in(client, staff.email)
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"
    response = client.post(reverse("accounts:two_factor_verify"), {"code": wrong})
    assert response.status_code == 200
    assert "This code is not correct" in response.content.decode()
    assert client.get(reverse("evaluation:staff_home")).status_code == 302
    device.refresh_from_db()
    assert device.throttling_failure_count == 1, "django-otp throttles the next tries"


def test_a_used_totp_code_cannot_be_replayed(client, enrolled_staff):
    staff, device, _codes = enrolled_staff
    code = code_for(device)
    log_in(client, staff.email)
    assert client.post(reverse("accounts:two_factor_verify"), {"code": code}).status_code == 302
    client.logout()
    log_in(client, staff.email)
    assert client.post(reverse("accounts:two_factor_verify"), {"code": code}).status_code == 200


def test_a_recovery_code_works_once(client, enrolled_staff):
    staff, _device, codes = enrolled_staff
    log_in(client, staff.email)
    response = client.post(reverse("accounts:two_factor_verify"), {"code": codes[0].upper()}, follow=True)
    assert response.status_code == 200
    assert "You used a recovery code: 9 are left." in response.content.decode()
    assert not StaticToken.objects.filter(token=codes[0]).exists()
    client.logout()
    log_in(client, staff.email)
    response = client.post(reverse("accounts:two_factor_verify"), {"code": codes[0]})
    assert response.status_code == 200 and "This code is not correct" in response.content.decode()


@pytest.mark.parametrize("role", [Role.STAFF, Role.AUDITOR])
def test_staff_and_auditors_without_a_device_are_sent_to_enrolment(client, role_groups, role):
    person = UserFactory(email="new.official@gongmo.example")
    person.groups.add(group_for(role))
    response = log_in(client, person.email)
    enrol = reverse("accounts:two_factor_enrol")
    assert response.status_code == 302 and response["Location"].startswith(enrol)
    for page in (reverse("evaluation:staff_home"), reverse("audit:exports"), "/admin/", "/"):
        blocked = client.get(page)
        assert blocked.status_code == 302 and blocked["Location"].startswith(enrol)


def test_enrolment_shows_the_secret_once_and_confirms_with_a_code(client, staff):
    log_in(client, staff.email)
    page = client.get(reverse("accounts:two_factor_enrol") + "?next=/staff/")
    html = page.content.decode()
    assert page.status_code == 200 and "<svg" in html and "no-store" in page["Cache-Control"]
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', html).group(1)
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    assert secret.replace(" ", "") in device.config_url
    # Reloading gives a new secret: the first is never shown again.
    client.get(reverse("accounts:two_factor_enrol"))
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    assert client.post(reverse("accounts:two_factor_enrol"), {"code": "000000"}).status_code == 200
    device.refresh_from_db()
    assert not device.confirmed
    device.throttle_reset()
    response = client.post(
        reverse("accounts:two_factor_enrol"), {"code": code_for(device), "next": "/staff/"}
    )
    assert response.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-7]+)</code></li>", response.content.decode())
    assert len(codes) == two_factor.RECOVERY_CODE_COUNT
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("evaluation:staff_home")).status_code == 200
    # Enrolled: the enrolment page shows no secret any more.
    assert client.get(reverse("accounts:two_factor_enrol"))["Location"] == reverse("accounts:two_factor")
    assert LogEntry.objects.filter(object_id=str(staff.pk), change_message__contains="set up").exists()


def test_an_applicant_may_turn_it_on_and_is_then_asked_at_every_log_in(client, db):
    person = UserFactory(email="applicant@gongmo.example")
    assert log_in(client, person.email)["Location"] == reverse("projects:dashboard")
    device = TOTPDevice.objects.create(user=person, name="authenticator", confirmed=True)
    client.logout()
    response = log_in(client, person.email)
    assert response["Location"].startswith(reverse("accounts:two_factor_verify"))
    assert client.get(reverse("projects:dashboard"))["Location"].startswith(
        reverse("accounts:two_factor_verify")
    )
    response = client.post(response["Location"], {"code": code_for(device)})
    assert response["Location"] == reverse("projects:dashboard")


def test_the_person_turns_it_off_with_a_code_and_not_without(client, db):
    person = UserFactory(email="applicant@gongmo.example")
    device = TOTPDevice.objects.create(user=person, name="authenticator", confirmed=True)
    client.force_login(person)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    url = reverse("accounts:two_factor")
    assert client.post(url, {"action": "disable", "disable-code": "123"}).status_code == 200
    assert TOTPDevice.objects.filter(user=person).exists()
    device.throttle_reset()
    response = client.post(url, {"action": "disable", "disable-code": code_for(device, offset=1)})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=person).exists()
    assert LogEntry.objects.filter(object_id=str(person.pk), change_message__contains="turned off").exists()


def test_staff_who_remove_their_authenticator_must_set_up_a_new_one(client, enrolled_staff):
    staff, device, _codes = enrolled_staff
    client.force_login(staff)  # verified with the existing device (tests/conftest.py)
    response = client.post(
        reverse("accounts:two_factor"), {"action": "disable", "disable-code": code_for(device)}
    )
    assert response["Location"] == reverse("accounts:two_factor_enrol")
    assert client.get(reverse("evaluation:staff_home"))["Location"].startswith(
        reverse("accounts:two_factor_enrol")
    )


def test_a_superuser_resets_another_persons_second_factor_and_it_is_logged(client, enrolled_staff):
    staff, _device, _codes = enrolled_staff
    url = reverse("accounts:two_factor_reset", args=[staff.pk])
    client.force_login(UserFactory(email="other.official@gongmo.example", is_staff=True))
    assert client.post(url, {"reason": "lost phone"}).status_code == 403
    assert TOTPDevice.objects.filter(user=staff).exists()
    root = UserFactory(email="root@gongmo.example", is_staff=True, is_superuser=True)
    client.force_login(root)
    response = client.post(url, {"reason": "lost phone"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=staff).exists()
    entry = LogEntry.objects.get(object_id=str(staff.pk), change_message__contains="reset")
    assert entry.user == root and "lost phone" in entry.change_message


def test_next_is_encoded_on_the_way_to_the_second_step(client, enrolled_staff):
    staff, _device, _codes = enrolled_staff
    response = client.get("/staff/?a=1&b=2")
    assert response.status_code == 302
    response = client.post(
        reverse("accounts:login"), {"username": staff.email, "password": PASSWORD, "next": "/staff/?a=1&b=2"}
    )
    assert response["Location"] == reverse("accounts:two_factor_verify") + "?next=%2Fstaff%2F%3Fa%3D1%26b%3D2"


def test_seed_demo_refuses_the_published_passwords_without_debug():
    with override_settings(DEMO_LOGINS_ALLOWED=False), pytest.raises(CommandError, match="DEBUG=1"):
        call_command("seed_demo")
    from accounts.models import User

    assert not User.objects.filter(email="staff@gongmo.example").exists()


def test_the_demo_staff_authenticator_has_the_published_secret(role_groups):
    from accounts.demo import DEMO_TOTP_SECRET, demo_code, ensure_demo_accounts

    users = ensure_demo_accounts()
    device = TOTPDevice.objects.get(user=users[Role.STAFF], confirmed=True)
    assert DEMO_TOTP_SECRET in device.config_url
    assert device.verify_token(demo_code())
    assert TOTPDevice.objects.filter(user=users[Role.AUDITOR], confirmed=True).count() == 1
    assert not TOTPDevice.objects.filter(user=users[Role.APPLICANT]).exists()
