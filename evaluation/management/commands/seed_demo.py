from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.demo import DEMO_ACCOUNTS, ensure_demo_accounts
from accounts.roles import Role
from competitions.demo import finish_demo_calls, seed_demo_calls
from competitions.formatting import format_seoul
from evaluation.demo import seed_demo_evaluation, seed_demo_journeys
from projects.demo import seed_demo_money, seed_demo_organisations
from projects.registration_number import format_registration_number


class Command(BaseCommand):
    help = "Load the demo calls, organisations, evaluation plans and one account per role. Idempotent."

    @transaction.atomic
    def handle(self, *args, **options):
        users = ensure_demo_accounts()
        calls = seed_demo_calls(by=users[Role.STAFF])
        organisations = seed_demo_organisations(applicant=users[Role.APPLICANT])
        reviewer = seed_demo_evaluation(calls, reviewer_user=users[Role.REVIEWER])
        seed_demo_journeys(calls, staff=users[Role.STAFF], reviewer=reviewer)
        seed_demo_money(calls["pilot-city-2022"], staff=users[Role.STAFF])
        calls = finish_demo_calls(calls, by=users[Role.STAFF])
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready: {len(calls)} calls, {len(organisations)} organisations.")
        )
        for slug, call in calls.items():
            self.stdout.write(
                f"  {slug:<28} {call.get_state_display()!s:<18} closes {format_seoul(call.closes_at)}"
            )
        for organisation in organisations:
            self.stdout.write(
                f"  {organisation.name:<36} {format_registration_number(organisation.registration_number)}"
                f"  {organisation.size_class}"
            )
        self.stdout.write("Demo logins (e-mail / password):")
        for account in DEMO_ACCOUNTS:
            self.stdout.write(f"  {account.role.label!s:<15} {account.email:<28} {account.password}")
