import time

from django.core.management.base import BaseCommand, CommandError

from competitions.models import Call
from evaluation.generate import generate, system_user


class Command(BaseCommand):
    help = "Generate synthetic organisations, applications, reviewers and submitted scores for a call (deterministic for a seed)."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--count", type=int, default=100)
        parser.add_argument("--reviewers", type=int, default=20)
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, slug, count, reviewers, seed, **options):
        call = Call.objects.filter(slug=slug).first()
        if call is None:
            raise CommandError(f"No call with slug {slug!r}.")
        if not call.tracks.exists():
            raise CommandError(f"Call {slug!r} has no track.")
        started = time.perf_counter()
        applications = generate(call, count=count, reviewers=reviewers, seed=seed, by=system_user())
        self.stdout.write(
            f"{len(applications)} applications scored by {reviewers} reviewers in {slug} "
            f"({time.perf_counter() - started:.1f} s)."
        )
