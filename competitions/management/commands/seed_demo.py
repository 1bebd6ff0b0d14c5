from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.demo import DEMO_ACCOUNTS, ensure_demo_accounts
from accounts.roles import Role
from competitions.demo import seed_demo_calls
from competitions.formatting import format_seoul


class Command(BaseCommand):
    help = "Load the demo calls (the 2022 calls and an open demo call) and one account per role. Idempotent."

    @transaction.atomic
    def handle(self, *args, **options):
        users = ensure_demo_accounts()
        calls = seed_demo_calls(by=users[Role.STAFF])
        self.stdout.write(self.style.SUCCESS(f"Demo data ready: {len(calls)} calls."))
        for slug, call in calls.items():
            self.stdout.write(
                f"  {slug:<28} {call.get_state_display()!s:<18} closes {format_seoul(call.closes_at)}"
            )
        self.stdout.write("Demo logins (e-mail / password):")
        for account in DEMO_ACCOUNTS:
            self.stdout.write(f"  {account.role.label!s:<15} {account.email:<28} {account.password}")
