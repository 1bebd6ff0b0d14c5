from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings

from accounts.demo import (
    DEMO_ACCOUNTS,
    DEMO_LOGINS_REFUSED,
    DEMO_TOTP_SECRET,
    demo_code,
    ensure_demo_accounts,
)
from accounts.roles import Role
from competitions.demo import finish_demo_calls, seed_demo_calls
from competitions.formatting import format_seoul
from evaluation.demo import seed_demo_evaluation, seed_demo_journeys
from projects.demo import seed_demo_agreement, seed_demo_money, seed_demo_organisations
from projects.registration_number import format_registration_number


class Command(BaseCommand):
    help = (
        "Load the demo calls (the 2022 pilot call evaluated, paid and settled; one call open, one in "
        "evaluation), organisations, evaluation plans, a smart-city certification round open all year "
        "with one certified service, a living lab on a citizen-led project, and one account per role. "
        "Idempotent."
    )

    def handle(self, *args, **options):
        # Fail closed: the demo accounts' passwords are published (README).
        if not settings.DEMO_LOGINS_ALLOWED:
            raise CommandError(DEMO_LOGINS_REFUSED)
        # The demo's applicants and reviewers are made up: the notices the domain functions send
        # them while the demo calls are walked go nowhere (not hundreds of mails on the console).
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            calls, organisations = self.seed()
        self.report(calls, organisations)

    @transaction.atomic
    def seed(self):
        users = ensure_demo_accounts()
        calls = seed_demo_calls(by=users[Role.STAFF])
        organisations = seed_demo_organisations(applicant=users[Role.APPLICANT])
        reviewer = seed_demo_evaluation(calls, reviewer_user=users[Role.REVIEWER])
        seed_demo_journeys(calls, staff=users[Role.STAFF], reviewer=reviewer)
        seed_demo_money(calls["pilot-city-2022"], staff=users[Role.STAFF])
        # The innovation-technology call's living-lab track: one project (smartcity.demo's lab).
        seed_demo_agreement(calls["innovation-tech-2022"], staff=users[Role.STAFF])
        calls = finish_demo_calls(calls, by=users[Role.STAFF])
        # Imported here, not at the top: smartcity sits above evaluation, which must not import
        # it; only this command, run from outside every app, brings the layers together.
        from smartcity.demo import seed_demo_smartcity

        seed_demo_smartcity(
            staff=users[Role.STAFF],
            reviewer=users[Role.REVIEWER],
            applicant=users[Role.APPLICANT],
            company=organisations[0],
        )
        return calls, organisations

    def report(self, calls, organisations):
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
        self.stdout.write(
            f"Staff and auditor log in with a second factor: add the secret {DEMO_TOTP_SECRET} to an "
            f"authenticator app (code now: {demo_code()}), or print the current code with "
            "`DEBUG=1 .venv/bin/python manage.py demo_code`."
        )
