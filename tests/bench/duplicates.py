"""The duplicate-funding check (중복성 검토, projects.duplicates) at issue 21's scale, on a fresh
SQLite database (the embedded default) under var/bench-duplicates/.

Workload: a call of 20,000 submitted applications checked against 100,000 earlier proposals (an
earlier call, decided: not selected, ineligible or awarded), led by 30,000 organisations (so
leads apply more than once and pending applications are found), 2,000 of the earlier proposals
awarded as running or recent projects in service fields named as the call's, 300 organisations
with a sanction on record, a third of the proposals with one or two consortium members (one
in five of them not yet accepted).

The text index: every proposal has its own generated words (a 4,000-word vocabulary, about 50
words a proposal). Computing real MinHash signatures for 120,000 proposals would take the data
generation 15 minutes on the 2-core machine, so the index rows of the other proposals are random
64-bit buckets (what unrelated texts give: two proposals whose 3-word shingles barely overlap
share no band), except those of the 1 % of earlier proposals that the sample copies: their rows
are their real bands. The check of each sampled application computes its own signature from its
text, exactly as at submission.

Timed:
(a) the check of a submission (``check_after_submission``, the worker's task once the
    submission committed: lock, find, store the new findings, index the proposal), one per application, for a random sample (BENCH_DUP_SAMPLE, 200):
    median, 95th percentile, mean; a fifth of the sample are near-copies of earlier proposals
    and must be found;
(b) a staff re-run of the call (``recheck`` per application, as run_check and the eligibility
    confirmation do): BENCH_DUP_RERUN applications (500; "all" for the whole call) timed, the
    total for the call extrapolated from their mean unless all were run.

Size knobs for a quick run: BENCH_DUP_APPLICATIONS (20,000), BENCH_DUP_EARLIER (100,000).
Prints a table and writes bench-results/duplicates.json.
Run: .venv/bin/python tests/bench/duplicates.py (about 4 minutes on 2 cores).
"""

import json
import os
import random
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCH_VAR = ROOT / "var" / "bench-duplicates"
APPLICATIONS = int(os.environ.get("BENCH_DUP_APPLICATIONS", 20_000))
EARLIER = int(os.environ.get("BENCH_DUP_EARLIER", 100_000))
SAMPLE = int(os.environ.get("BENCH_DUP_SAMPLE", 200))
RERUN = os.environ.get("BENCH_DUP_RERUN", "500")
ORGANISATIONS = max(10, int(30_000 * APPLICATIONS / 20_000))
PROJECTS = min(2_000, EARLIER // 10)
SANCTIONED = max(1, ORGANISATIONS // 100)
MEMBERED = 1 / 3  # of the proposals: with a consortium
COPIED = 0.2  # of the sample: near-copies of earlier proposals
VOCABULARY = 4_000
FIELDS = ["Mobility", "Safety", "Energy", "Environment", "Welfare"]


def setup_django():
    sys.path.insert(0, str(ROOT))
    shutil.rmtree(BENCH_VAR, ignore_errors=True)
    BENCH_VAR.mkdir(parents=True)
    os.environ["GONGMO_VAR_DIR"] = str(BENCH_VAR)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.utils import translation

    translation.activate("en")


def words(rng, vocabulary, count):
    return " ".join(rng.choices(vocabulary, k=count))


def random_bucket(rng):
    return rng.randrange(-(1 << 63), 1 << 63)


def build(rng):
    from datetime import date, timedelta

    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from accounts.system import system_user
    from competitions.models import Call, Region, ServiceField, Track
    from projects import duplicates
    from projects.bulk import insert_rows
    from projects.models import (
        Application,
        Award,
        ConsortiumMember,
        Organisation,
        Project,
        ProposalBucket,
        Sanction,
    )
    from tests.factories import CallFactory

    call_command("migrate", verbosity=0)
    by = system_user()
    vocabulary = [f"w{n}" for n in range(VOCABULARY)]
    now = timezone.now()
    region = Region.objects.order_by("pk").first()
    with transaction.atomic():
        earlier_call = CallFactory(slug="earlier-calls", state="closed")
        call = CallFactory(slug="dupes-2026", state="published")
        calls = {}
        for c in (earlier_call, call):
            track = Track.objects.filter(call=c).first() or Track.objects.create(
                call=c, name="Main", max_awards=10_000
            )
            fields = [
                ServiceField.objects.create(call=c, name=name, position=n, max_awards=1000)
                for n, name in enumerate(FIELDS)
            ]
            calls[c.pk] = (track, fields)
        organisations = Organisation.objects.bulk_create(
            (
                Organisation(
                    name=f"Company {n}",
                    registration_number=f"{100_000_000 + n:09d}0",
                    kind="company",
                    region=region,
                    industry="ict",
                    size_class="sme",
                )
                for n in range(ORGANISATIONS)
            ),
            batch_size=5000,
        )
        Sanction.objects.bulk_create(
            Sanction(
                organisation=o, starts_on=date(2021, 1, 1), ends_on=date(2021, 12, 31), reason="Late report"
            )
            for o in rng.sample(organisations, SANCTIONED)
        )

        def application(c, n, state, prefix):
            track, fields = calls[c.pk]
            return Application(
                call=c,
                track=track,
                service_field=rng.choice(fields),
                lead=rng.choice(organisations),
                created_by=by,
                title=words(rng, vocabulary, 6),
                summary=words(rng, vocabulary, 45),
                state=state,
                reference=f"{prefix}-{n + 1:06d}",
                submitted_at=now - timedelta(days=1),
                requested_subsidy=100_000_000,
            )

        decided = ["not_selected", "ineligible", "not_selected", "declined"]
        earlier = Application.objects.bulk_create(
            (application(earlier_call, n, rng.choice(decided), "OLD") for n in range(EARLIER)),
            batch_size=5000,
        )
        applications = Application.objects.bulk_create(
            (application(call, n, "submitted", "NEW") for n in range(APPLICATIONS)), batch_size=5000
        )
        # Consortia: a third of the proposals have one or two members, accepted but one in five
        # (a pending member is not a party: the check must not follow it).
        ConsortiumMember.objects.bulk_create(
            (
                ConsortiumMember(
                    application=a,
                    organisation=organisation,
                    budget_share_percent=10,
                    state="pending" if rng.random() < 0.2 else "accepted",
                )
                for a in [*earlier, *applications]
                if rng.random() < MEMBERED
                for organisation in {rng.choice(organisations) for _n in range(rng.randint(1, 2))} - {a.lead}
            ),
            batch_size=5000,
        )
        # Running or recent projects: awarded earlier proposals.
        awarded = rng.sample(earlier, PROJECTS)
        Application.objects.filter(pk__in=[a.pk for a in awarded]).update(state="awarded")
        awards = Award.objects.bulk_create(
            (Award(application=a, national_subsidy=100_000_000, created_by=by) for a in awarded),
            batch_size=5000,
        )
        Project.objects.bulk_create(
            (
                Project(
                    award=award,
                    code=f"P-{award.application.reference}",
                    agreement_signed_on=date(2025, 4, 20),
                    agreement_parties="MOLIT; lead",
                    starts_on=date(2025, 5, 1),
                    ends_on=date(2026, 11, 30),
                    state=rng.choice(["active", "active", "final_report", "settled"]),
                )
                for award in awards
            ),
            batch_size=5000,
        )
        # The sample (checked as at submission: no index rows yet) and the earlier proposals it
        # copies (their real bands); every other proposal indexed with random buckets.
        sample = rng.sample(applications, min(SAMPLE, len(applications)))
        sampled = {a.pk for a in sample}
        copies = sample[: int(len(sample) * COPIED)]
        awarded_pks = {a.pk for a in awarded}
        originals = rng.sample([a for a in earlier if a.pk not in awarded_pks], len(copies))
        real = {}
        for copy, original in zip(copies, originals, strict=True):
            text = original.summary.split()
            text[rng.randrange(len(text))] = "changed"  # one word changed: a near-copy
            copy.title, copy.summary = original.title, " ".join(text)
            real[original.pk] = duplicates.proposal_buckets(original)
        Application.objects.bulk_update(copies, ["title", "summary"], batch_size=1000)

        def bucket_rows():
            for a in [*earlier, *applications]:
                if a.pk in sampled:
                    continue
                values = real.get(a.pk) or [random_bucket(rng) for _band in range(duplicates.BANDS)]
                for band, value in enumerate(values):
                    yield (a.pk, band, value)

        insert_rows(ProposalBucket, ["application_id", "band", "bucket"], bucket_rows(), batch_size=10_000)
    Call.objects.filter(pk=call.pk).update(state="published")
    return call, sample, {c.pk: o.pk for c, o in zip(copies, originals, strict=True)}


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main():
    setup_django()
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from projects import duplicates
    from projects.models import Application, DuplicateFinding, FindingKind, ProposalBucket

    rng = random.Random(21)
    started = time.perf_counter()
    call, sample, copied = build(rng)
    built = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"setup: {APPLICATIONS:,} applications against {EARLIER:,} earlier proposals,"
        f" {ProposalBucket.objects.count():,} index rows, in {built:.0f} s",
        file=sys.stderr,
    )

    # (a) As at submission.
    timings, cpu, statements = [], [], []
    for application in Application.objects.filter(pk__in=[a.pk for a in sample]).order_by("?"):
        began, began_cpu = time.perf_counter(), time.process_time()
        with CaptureQueriesContext(connection) as queries:
            duplicates.check_after_submission(application.pk)
        timings.append(time.perf_counter() - began)
        cpu.append(time.process_time() - began_cpu)
        statements.append(len(queries.captured_queries))
    found = set(
        DuplicateFinding.objects.filter(
            kind=FindingKind.SIMILAR_TEXT, application_id__in=list(copied)
        ).values_list("application_id", "other_application_id")
    )
    missed = [pk for pk, original in copied.items() if (pk, original) not in found]
    by_kind = dict(_count_by_kind(DuplicateFinding))

    # (b) A staff re-run of the call.
    pool = list(Application.objects.filter(call=call).order_by("pk"))
    rerun = pool if RERUN == "all" else random.Random(2).sample(pool, min(int(RERUN), len(pool)))
    began, began_cpu = time.perf_counter(), time.process_time()
    for application in rerun:
        with transaction.atomic():
            locked = Application.objects.select_for_update().get(pk=application.pk)
            duplicates.recheck(locked)
    rerun_seconds = time.perf_counter() - began
    rerun_cpu = time.process_time() - began_cpu
    per_rerun = rerun_seconds / len(rerun)
    call_total = rerun_seconds if len(rerun) == len(pool) else per_rerun * len(pool)

    results = {
        "workload": {
            "applications": APPLICATIONS,
            "earlier_proposals": EARLIER,
            "organisations": ORGANISATIONS,
            "projects": PROJECTS,
            "sanctioned_organisations": SANCTIONED,
            "index_rows": ProposalBucket.objects.count(),
            "setup_seconds": round(built, 1),
        },
        "at_submission": {
            "sample": len(timings),
            "median_ms": round(statistics.median(timings) * 1000, 1),
            "p95_ms": round(percentile(timings, 0.95) * 1000, 1),
            "mean_ms": round(statistics.mean(timings) * 1000, 1),
            # This process's CPU (SQL compiled, rows turned into objects, MinHash); SQLite's
            # own work runs in it too.
            "cpu_median_ms": round(statistics.median(cpu) * 1000, 1),
            "statements_median": statistics.median(statements),
            "statements_max": max(statements),
            "near_copies": len(copied),
            "near_copies_missed": len(missed),
            "findings_by_kind": by_kind,
        },
        "staff_rerun": {
            "applications_timed": len(rerun),
            "mean_ms": round(per_rerun * 1000, 1),
            "cpu_mean_ms": round(rerun_cpu / len(rerun) * 1000, 1),
            "call_total_seconds": round(call_total, 1),
            "extrapolated": len(rerun) != len(pool),
        },
    }
    print()
    print(f"duplicate-funding check, {APPLICATIONS:,} applications against {EARLIER:,} earlier proposals")
    print(
        f"  at submission (sample of {len(timings)}): median {results['at_submission']['median_ms']} ms,"
        f" p95 {results['at_submission']['p95_ms']} ms, mean {results['at_submission']['mean_ms']} ms;"
        f" CPU median {results['at_submission']['cpu_median_ms']} ms;"
        f" statements median {results['at_submission']['statements_median']},"
        f" max {results['at_submission']['statements_max']}"
    )
    print(f"  near-copies found: {len(copied) - len(missed)} of {len(copied)}; findings by kind: {by_kind}")
    print(
        f"  staff re-run: {per_rerun * 1000:.1f} ms per application"
        f" (CPU {results['staff_rerun']['cpu_mean_ms']} ms; {len(rerun)} timed),"
        f" the call {'≈ ' if results['staff_rerun']['extrapolated'] else ''}{call_total:.0f} s"
    )
    out = ROOT / "bench-results" / "duplicates.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    shutil.rmtree(BENCH_VAR, ignore_errors=True)
    return 1 if missed else 0


def _count_by_kind(model):
    from django.db.models import Count

    return model.objects.values_list("kind").annotate(n=Count("pk")).order_by("kind")


if __name__ == "__main__":
    sys.exit(main())
