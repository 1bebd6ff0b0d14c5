from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.demo import DEMO_LOGINS_REFUSED, DEMO_TOTP_SECRET, demo_code


class Command(BaseCommand):
    help = (
        "Print the demo staff's and auditor's current two-factor code (their authenticator's secret "
        "is published). Development only (DEBUG=1)."
    )

    def handle(self, *args, **options):
        if not settings.DEMO_LOGINS_ALLOWED:
            raise CommandError(DEMO_LOGINS_REFUSED)
        self.stdout.write(f"{demo_code()}  (secret {DEMO_TOTP_SECRET}; a new code every 30 seconds)")
