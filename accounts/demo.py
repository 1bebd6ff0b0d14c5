"""One demo account per role, so a newcomer can try every part of Gongmo.

Their passwords are published (README), so they are set only in development (DEBUG=1 at start,
``settings.DEMO_LOGINS_ALLOWED``). Staff and auditors must log in with a second factor: theirs is
an authenticator with a published secret (DEMO_TOTP_SECRET), added to any authenticator app, or
read with ``demo_code()``.
"""

from base64 import b32decode
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from .consent import current_consent, record_consent
from .models import User
from .roles import Role, group_for, sync_role_groups


@dataclass(frozen=True)
class DemoAccount:
    role: Role
    email: str
    password: str
    first_name: str  # Korean given and family names: shown family name first (User.get_full_name)
    last_name: str
    name_en: str  # shown beside the Korean name on English pages
    is_staff: bool = False


DEMO_ACCOUNTS = [
    DemoAccount(Role.APPLICANT, "applicant@gongmo.example", "demo-applicant-2022", "민수", "김", "Minsu Kim"),
    DemoAccount(
        Role.STAFF, "staff@gongmo.example", "demo-staff-2022", "서연", "이", "Seoyeon Lee", is_staff=True
    ),
    DemoAccount(Role.REVIEWER, "reviewer@gongmo.example", "demo-reviewer-2022", "지훈", "박", "Jihoon Park"),
    # Auditors read the admin (view permissions only) until the auditors' room exists.
    DemoAccount(
        Role.AUDITOR, "auditor@gongmo.example", "demo-auditor-2022", "유나", "최", "Yuna Choi", is_staff=True
    ),
]


# The demo staff's and auditor's authenticator secret (base32, as apps take it): published.
DEMO_TOTP_SECRET = "GONGMODEMOSTAFFAUDITORTOTPSECRET"
DEMO_TOTP_NAME = "demo authenticator"

DEMO_LOGINS_REFUSED = (
    "The demo accounts have published passwords: seed_demo sets them only in development. "
    "Run it with DEBUG=1 (make run does), never against a production database."
)


class DemoLoginsRefused(ImproperlyConfigured):
    pass


def demo_totp_key_hex():
    return b32decode(DEMO_TOTP_SECRET).hex()


def demo_code():
    """The demo authenticator's current six-digit code (what the app shows now)."""
    return f"{totp(bytes.fromhex(demo_totp_key_hex())):06d}"


def ensure_demo_authenticator(user):
    """The published demo authenticator, confirmed, as the user's only one."""
    TOTPDevice.objects.filter(user=user).exclude(name=DEMO_TOTP_NAME).delete()
    key = demo_totp_key_hex()
    device = TOTPDevice.objects.filter(user=user, name=DEMO_TOTP_NAME).first()
    if device is None:
        return TOTPDevice.objects.create(user=user, name=DEMO_TOTP_NAME, key=key, confirmed=True)
    if (device.key, device.confirmed) != (key, True):  # a re-run touches nothing otherwise
        device.key, device.confirmed = key, True
        device.save(update_fields=["key", "confirmed"])
    return device


def ensure_demo_accounts():
    """Create or reset the demo accounts (same e-mail, password and role every time)."""
    if not settings.DEMO_LOGINS_ALLOWED:
        raise DemoLoginsRefused(DEMO_LOGINS_REFUSED)
    sync_role_groups()
    users = {}
    for account in DEMO_ACCOUNTS:
        user = User.objects.filter(email=account.email).first() or User(email=account.email)
        user.first_name, user.last_name, user.name_en = account.first_name, account.last_name, account.name_en
        user.is_staff = account.is_staff
        user.is_active = True
        if not user.check_password(account.password):
            user.set_password(account.password)
        user.save()
        user.groups.add(group_for(account.role))
        consent = current_consent()
        if consent is not None:
            record_consent(user, consent)
        if account.role in (Role.STAFF, Role.AUDITOR):
            ensure_demo_authenticator(user)
        users[account.role] = user
    return users
