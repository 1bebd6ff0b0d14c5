from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from audit.funding_workbook import write_funding_workbook
from competitions.models import Call


class Command(BaseCommand):
    help = (
        "Write the funding workbook (calls, quotas, applications, scores, awards, ledgers, "
        "summary and checks) of the given calls, or of every call, to an .xlsx file; print the checks."
    )

    def add_arguments(self, parser):
        parser.add_argument("slugs", nargs="*", metavar="SLUG", help="calls to export, in this order")
        parser.add_argument("--all", dest="every", action="store_true", help="export every call")
        parser.add_argument("--output", "-o", required=True, metavar="FILE.xlsx")
        parser.add_argument(
            "--lang",
            default="en",
            choices=[code for code, _name in settings.LANGUAGES],
            help="language of the headers (default: en)",
        )

    def handle(self, slugs, every, output, lang, verbosity, **options):
        if every == bool(slugs):
            raise CommandError("Name the calls to export (SLUG ...) or use --all, not both.")
        if every:
            calls = list(Call.objects.order_by("opens_at", "slug"))
            if not calls:
                raise CommandError("There are no calls to export.")
        else:
            found = {call.slug: call for call in Call.objects.filter(slug__in=slugs)}
            unknown = [slug for slug in slugs if slug not in found]
            if unknown:
                raise CommandError(f"No call with slug {', '.join(map(repr, unknown))}.")
            calls = [found[slug] for slug in dict.fromkeys(slugs)]

        def progress(done, total):
            self.stderr.write(f"\r{done:,} / {total:,} rows", ending="")

        try:
            summary = write_funding_workbook(
                calls, output, lang=lang, progress=progress if verbosity >= 2 else None, snapshot=True
            )
        except OSError as exc:
            raise CommandError(f"Cannot write {output}: {exc}") from exc
        if verbosity >= 2:
            self.stderr.write("")
        for check in summary["checks"]:
            style = self.style.SUCCESS if check["result"] == "PASS" else self.style.ERROR
            self.stdout.write(
                f"{style(check['result'])}  {check['check']}"
                f"  (expected {check['expected']:,}, actual {check['actual']:,})"
            )
        rows = sum(summary["rows"].values())
        self.stdout.write(f"Wrote {output}: {len(calls)} call(s), {rows:,} rows.")
        if summary["failed"]:
            raise CommandError(f"{summary['failed']} check(s) failed; see the Checks sheet of {output}.")
