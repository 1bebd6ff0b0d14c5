"""Delete access-log entries older than ACCESS_LOG_RETENTION_DAYS (the daily beat task does the
same): the access log's only deletion."""

from django.core.management.base import BaseCommand

from audit.access import prune_access_log


class Command(BaseCommand):
    help = "Delete access-log entries older than ACCESS_LOG_RETENTION_DAYS."

    def handle(self, *args, **options):
        count = prune_access_log()
        self.stdout.write(f"{count} access-log entries older than the retention period deleted.")
