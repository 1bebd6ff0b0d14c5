import json

from django.core.management.base import BaseCommand, CommandError

from competitions.lifecycle import TransitionRefused
from competitions.models import Call
from evaluation import selection_runs
from evaluation.generate import system_user


def _decimal(value):
    return None if value is None else f"{value:.2f}"


class Command(BaseCommand):
    help = "Rank and select a call's scored applications; record the run (unless --dry-run), optionally confirm it."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--dry-run", action="store_true", help="record nothing")
        parser.add_argument(
            "--confirm", action="store_true", help="also confirm the run and publish the outcomes"
        )
        parser.add_argument("--json", action="store_true", help="print the results as JSON")

    def handle(self, slug, dry_run, confirm, json, **options):
        call = Call.objects.filter(slug=slug).first()
        if call is None:
            raise CommandError(f"No call with slug {slug!r}.")
        if dry_run and confirm:
            raise CommandError("--dry-run and --confirm exclude each other.")
        user = system_user()
        try:
            run, results = selection_runs.run_selection(call, by=user, dry_run=dry_run)
            if confirm:
                selection_runs.confirm_run(run, by=user)
        except TransitionRefused as exc:
            raise CommandError("; ".join(exc.reasons)) from exc
        if json:
            self.stdout.write(_dumps(call, run, results))
            return
        counts = {}
        for result in results:
            counts[result.outcome] = counts.get(result.outcome, 0) + 1
        label = f"run #{run.number}" if run else "dry run"
        self.stdout.write(f"{slug} {label}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))


def _dumps(call, run, results):
    tracks = {t.pk: t.name for t in call.tracks.all()}
    fields = {f.pk: f.name for f in call.service_fields.all()}
    return json.dumps(
        {
            "call": call.slug,
            "run": run.number if run else None,
            "results": [
                {
                    "reference": r.reference,
                    "field": fields.get(r.field_id),
                    "track": tracks.get(r.track_id),
                    "evaluation_score": _decimal(r.evaluation_score),
                    "bonus": _decimal(r.bonus),
                    "final_score": _decimal(r.final_score),
                    "rank": r.rank,
                    "outcome": r.outcome,
                    "reason": r.reason,
                    "requested_subsidy": r.requested_subsidy,
                }
                for r in results
            ],
        },
        ensure_ascii=False,
    )
