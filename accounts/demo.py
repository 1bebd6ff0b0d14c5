"""One demo account per role, so a newcomer can try every part of Gongmo."""

from dataclasses import dataclass

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
    is_staff: bool = False


DEMO_ACCOUNTS = [
    DemoAccount(Role.APPLICANT, "applicant@gongmo.example", "demo-applicant-2022", "민수", "김"),
    DemoAccount(Role.STAFF, "staff@gongmo.example", "demo-staff-2022", "서연", "이", is_staff=True),
    DemoAccount(Role.REVIEWER, "reviewer@gongmo.example", "demo-reviewer-2022", "지훈", "박"),
    # Auditors read the admin (view permissions only) until the auditors' room exists.
    DemoAccount(Role.AUDITOR, "auditor@gongmo.example", "demo-auditor-2022", "유나", "최", is_staff=True),
]


def ensure_demo_accounts():
    """Create or reset the demo accounts (same e-mail, password and role every time)."""
    sync_role_groups()
    users = {}
    for account in DEMO_ACCOUNTS:
        user = User.objects.filter(email=account.email).first() or User(email=account.email)
        user.first_name, user.last_name = account.first_name, account.last_name
        user.is_staff = account.is_staff
        user.is_active = True
        if not user.check_password(account.password):
            user.set_password(account.password)
        user.save()
        user.groups.add(group_for(account.role))
        consent = current_consent()
        if consent is not None:
            record_consent(user, consent)
        users[account.role] = user
    return users
