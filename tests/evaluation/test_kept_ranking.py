"""The ranking kept whole between changes (evaluation.kept_ranking): read from the cache only
while nothing it depends on has changed, and then equal to the ranking read afresh, whichever
way the change was written (a workflow step, the admin, a bulk update, a sheet rewrite).

On PostgreSQL a change is folded into the version when its transaction commits, and these tests
run inside one: there the kept ranking is never read (tested), and
tests/postgres/test_kept_ranking_commits.py shows the commits."""

import itertools
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from competitions.models import Call, CallState
from evaluation import kept_ranking, score_sheets, selection_runs
from evaluation.generate import generate
from evaluation.models import (
    BonusAward,
    BonusRule,
    Criterion,
    EvaluationPlan,
    RankingChange,
    ScoreSheet,
)
from evaluation.models import ranking_version as ranking_versions
from evaluation.models.ranking_version import LOGGED_CHANGES, ranking_version
from evaluation.score_sheets import CONSIDERED_STATES
from projects.models import Application, ApplicationState, Organisation
from tests.evaluation.conftest import evaluation_call
from tests.factories import ApplicationFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

# Inside a test's transaction PostgreSQL folds no change into a version (it does at the commit),
# so the kept ranking is never read there: tests/postgres/test_kept_ranking_commits.py runs
# these changes committed, one transaction each.
SQLITE = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="PostgreSQL: tests/postgres/test_kept_ranking_commits.py"
)


RANKING_READ = "ORDER BY g.below_cutoff"  # score_sheets._order_by: the ranking's own query


@pytest.fixture
def scored(call, staff):
    cache.clear()
    return generate(call, count=40, reviewers=8, seed=11, by=staff)


def settings_of(call):
    settings = selection_runs.settings_of(call)
    return settings.plan, settings.scoring


def kept(call):
    return kept_ranking.kept_ranked(call, *settings_of(call))


def fresh(call):
    return score_sheets.ranked(call, *settings_of(call))


def considered(call):
    return list(Application.objects.filter(call=call, state__in=CONSIDERED_STATES).order_by("pk"))


def test_the_triggers_consider_the_states_a_ranking_considers():
    """The migration's triggers name the considered states as the code did when it was written:
    a change of CONSIDERED_STATES needs a migration that changes the triggers too."""
    text = (Path(__file__).parents[2] / "evaluation/migrations/0015_ranking_version.py").read_text()
    named = re.search(r'CONSIDERED = "\((.*)\)"', text).group(1)
    assert [s.strip(" '") for s in named.split(",")] == [str(s) for s in CONSIDERED_STATES]


def test_score_sheets_are_written_by_one_module_only():
    """Sheet writes are counted into the ranking version by the code that writes them (no row
    trigger: a scoring change rewrites 20,000 sheets), so no other module may write a sheet."""
    root = Path(__file__).parents[2]
    writers = []
    apps = [d for d in root.iterdir() if (d / "__init__.py").exists() and d.name != "tests"]
    for path in (path for app in apps for path in app.rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        if "/migrations/" in relative:
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"\bScoreSheet\b(?!\._meta)|\bscore_sheet\b|evaluation_scoresheet", text):
            writers.append(relative)
    assert sorted(writers) == [
        "evaluation/models/__init__.py",  # exports the model
        "evaluation/models/score_sheet.py",  # defines it
        "evaluation/score_sheets.py",  # the one module that writes sheets
    ]


@SQLITE
def test_an_unchanged_ranking_is_read_from_the_cache(scored, call, django_assert_num_queries):
    first = kept(call)
    plan, scoring = settings_of(call)
    # The bonus rules (the plan's fingerprint) and the version (with one sheet's fingerprint):
    # the ranking is not read.
    with django_assert_num_queries(2) as context:
        again = kept_ranking.kept_ranked(call, plan, scoring)
    assert again == first == fresh(call)
    assert not [q for q in context.captured_queries if RANKING_READ in q["sql"]]


def _other_track(call, application):
    track, _created = call.tracks.get_or_create(name="Citizen-led", defaults={"max_awards": 2})
    Application.objects.filter(pk=application.pk).update(track=track)


def _other_field(call, application):
    field, _created = call.service_fields.get_or_create(name="Energy", defaults={"max_awards": 1})
    Application.objects.filter(pk=application.pk).update(service_field=field)


def _other_lead(call, application):
    Application.objects.filter(pk=application.pk).update(lead=OrganisationFactory(size_class="large"))


def _lead_grows(call, application):
    lead = Organisation.objects.get(pk=application.lead_id)
    Organisation.objects.filter(pk=lead.pk).update(size_class="large" if lead.size_class == "sme" else "sme")


def _declined(call, application):
    Application.objects.filter(pk=application.pk).update(state=ApplicationState.DECLINED)


def _another_like(application, state):
    """A new application of the call in ``state``, in the same track and field."""
    call = application.call
    return ApplicationFactory(
        call=call,
        track=application.track,
        service_field=application.service_field,
        state=state,
        reference=f"PE26-9{Application.objects.filter(call=call).count():03d}",
        submitted_at=call.closes_at - timedelta(hours=1),
    )


def _newly_scored(call, application):
    """An application scored without a sheet yet (the ranking writes it: the version moves
    between the two reads of the ranking)."""
    fresh_one = _another_like(application, ApplicationState.UNDER_REVIEW)
    Application.objects.filter(pk=fresh_one.pk).update(state=ApplicationState.SCORED)


def _inserted_scored(call, application):
    _another_like(application, ApplicationState.SCORED)


def _sheet_rewritten(call, application):
    plan, scoring = settings_of(call)
    ScoreSheet.objects.filter(pk=application.pk).update(final_score=0)  # what a bug would leave
    score_sheets.write_sheets(call, plan, scoring, [application.pk])


def _sheet_stale(call, application):
    score_sheets.mark_stale([application.pk])


def _bonus_granted(call, application, withdraw=False):
    """A bonus granted as staff grant one (the model writes the sheet), or withdrawn: the one
    asked for when there is one to grant (or withdraw), else the other."""
    awards = BonusAward.objects.filter(application=application)
    rule = BonusRule.objects.filter(plan__call=call).exclude(awards__application=application).first()
    if (withdraw and awards.exists()) or rule is None:
        awards.first().delete()
    else:
        BonusAward.objects.create(application=application, rule=rule, evidence="certificate")


CHANGES = {
    "reference": lambda call, a: Application.objects.filter(pk=a.pk).update(reference=f"PE26-8{a.pk:03d}"),
    "track": _other_track,
    "service field": _other_field,
    "requested subsidy": lambda call, a: Application.objects.filter(pk=a.pk).update(requested_subsidy=1),
    "submission time": lambda call, a: Application.objects.filter(pk=a.pk).update(submitted_at=call.opens_at),
    "lead": _other_lead,
    "lead's size class": _lead_grows,
    "leaves the considered": _declined,
    "scored, no sheet yet": _newly_scored,
    "inserted as scored": _inserted_scored,
    "sheet rewritten": _sheet_rewritten,
    "sheet marked stale": _sheet_stale,
    "bonus granted": _bonus_granted,
    "bonus withdrawn": lambda call, a: _bonus_granted(call, a, withdraw=True),
}


@SQLITE
@pytest.mark.parametrize("change", CHANGES)
def test_every_change_of_what_a_ranking_reads_moves_the_version(scored, call, change):
    before_ranking = kept(call)
    before = ranking_version(call.pk)
    application = considered(call)[len(before_ranking[0]) // 2]
    CHANGES[change](call, application)
    assert ranking_version(call.pk) > before
    assert kept(call) == fresh(call)
    assert kept(call) == fresh(call)  # and the ranking kept after the change is the new one


@SQLITE
@pytest.mark.parametrize("change", CHANGES)
def test_a_change_of_one_application_is_placed_not_ranked_again(
    scored, call, change, django_assert_max_num_queries
):
    """Every kind of change names the application it changed: the kept ranking takes it out
    and places it again (read with the version, one query for the changes, and a sheet written
    if it has none), without the call's ranking query."""
    kept(call)
    application = considered(call)[len(considered(call)) // 2]
    CHANGES[change](call, application)
    plan, scoring = settings_of(call)
    # 3 (plan fingerprint, version, changes), 10 when the changed one's sheet is written first.
    with django_assert_max_num_queries(10) as context:
        ranking = kept_ranking.kept_ranked(call, plan, scoring)
    assert not [q for q in context.captured_queries if RANKING_READ in q["sql"]]
    assert ranking == fresh(call)


@SQLITE
def test_a_ranking_brought_up_to_date_is_kept_again_once_many_changes_separate_it(scored, call, monkeypatch):
    """Placing a few changes costs less than keeping the ranking again: it is kept again only
    once KEEP_PLACED_AFTER changes separate it from the one kept; every read equals a fresh one."""
    monkeypatch.setattr(kept_ranking, "KEEP_PLACED_AFTER", 2)
    plan, scoring = settings_of(call)
    kept(call)
    base = kept_ranking.inputs_of(call, plan, scoring).kept_version
    CHANGES["requested subsidy"](call, considered(call)[3])
    assert kept(call) == fresh(call)
    assert kept_ranking.inputs_of(call, plan, scoring).kept_version == base  # placed, not kept
    CHANGES["reference"](call, considered(call)[5])
    assert kept(call) == fresh(call)
    inputs = kept_ranking.inputs_of(call, plan, scoring)
    assert inputs.kept_version == inputs.version == base + 2  # two changes: kept again
    assert kept(call) == fresh(call)


@SQLITE
def test_a_change_of_the_whole_call_ranks_it_again(scored, call, django_assert_max_num_queries):
    kept(call)
    Application.objects.filter(pk=considered(call)[0].pk).update(requested_subsidy=3)
    RankingChange.record_for_calls([call.pk])  # and something of every application, say
    plan, scoring = settings_of(call)
    with django_assert_max_num_queries(4) as context:
        ranking = kept_ranking.kept_ranked(call, plan, scoring)
    assert len([q for q in context.captured_queries if RANKING_READ in q["sql"]]) == 1
    assert ranking == fresh(call)


@SQLITE
def test_changes_of_many_applications_are_a_change_of_the_call(scored, call, monkeypatch):
    """More than NAMED_CHANGES applications at once: recorded as one change of the whole call
    (placing each would cost more than ranking again)."""
    monkeypatch.setattr(ranking_versions, "NAMED_CHANGES", 3)
    before = ranking_version(call.pk)
    RankingChange.record_for_applications([a.pk for a in considered(call)[:4]])
    assert list(
        RankingChange.objects.filter(call=call, version__gt=before).values_list("application", flat=True)
    ) == [None]
    RankingChange.record_for_applications([a.pk for a in considered(call)[:3]])
    assert RankingChange.objects.filter(call=call, version__gt=before + 1).count() == 3


@SQLITE
def test_the_log_keeps_the_last_changes_and_a_ranking_further_behind_is_ranked_again(scored, call):
    """The fold keeps a call's last LOGGED_CHANGES changes; a ranking kept more changes ago is
    ranked again (its changes are no longer all in the log), and still equal to a fresh one."""
    kept(call)
    application = considered(call)[0]
    before = ranking_version(call.pk)
    RankingChange.objects.bulk_create(
        RankingChange(call=call, application=application) for _ in range(LOGGED_CHANGES + 5)
    )
    version = ranking_version(call.pk)
    assert version == before + LOGGED_CHANGES + 5
    log = RankingChange.objects.filter(call=call)
    assert log.count() == LOGGED_CHANGES
    assert min(log.values_list("version", flat=True)) == version - LOGGED_CHANGES + 1
    Application.objects.filter(pk=application.pk).update(requested_subsidy=4)
    plan, scoring = settings_of(call)
    inputs = kept_ranking.inputs_of(call, plan, scoring)
    assert inputs.kept_version == before and not inputs.up_to_date
    assert kept(call) == fresh(call)


def test_the_migration_prunes_the_log_as_the_model_says():
    text = (Path(__file__).parents[2] / "evaluation/migrations/0016_ranking_change_log.py").read_text()
    assert int(re.search(r"^LOGGED_CHANGES = (\d+)$", text, re.M).group(1)) == LOGGED_CHANGES


def assert_a_version_made_again_follows_the_log(call):
    """Were a call's version row lost while its log remains (a database flushed table by table),
    the next change still gets a version of its own, after the last one logged."""
    application = considered(call)[0]
    Application.objects.filter(pk=application.pk).update(requested_subsidy=5)
    last = ranking_version(call.pk)
    assert RankingChange.objects.filter(call=call, version=last).exists()
    ranking_versions.RankingVersion.objects.filter(call=call).delete()
    Application.objects.filter(pk=application.pk).update(requested_subsidy=6)
    assert ranking_version(call.pk) == last + 1
    assert RankingChange.objects.filter(call=call, version=last + 1, application=application).exists()


@SQLITE
def test_a_version_never_goes_back(scored, call):
    assert_a_version_made_again_follows_the_log(call)


FLUSHED_TOGETHER = ("projects_application", "evaluation_rankingchange", "evaluation_rankingversion")


@SQLITE
@pytest.mark.parametrize("order", list(itertools.permutations(FLUSHED_TOGETHER)))
def test_a_database_flushes_whatever_the_order_of_its_tables(scored, call, order, monkeypatch):
    """SQLite's flush deletes table by table in the order of a set (Python's hash seed chooses
    it): a deleted considered application is a change, logged and folded while the version and
    the log may already be gone. The browser journeys' teardown failed in one order of six."""
    introspection = connection.introspection
    tables = introspection.django_table_names(only_existing=True, include_views=False)
    others = [table for table in tables if table not in FLUSHED_TOGETHER]
    monkeypatch.setattr(introspection, "django_table_names", lambda *args, **kwargs: [*order, *others])
    call_command("flush", interactive=False, inhibit_post_migrate=True, verbosity=0)
    assert not Application.objects.exists() and not Call.objects.exists()


def _draft_renumbered(call, application):
    draft = ApplicationFactory(call=call, track=application.track, state=ApplicationState.DRAFT)
    Application.objects.filter(pk=draft.pk).update(reference=f"PE26-7{draft.pk:03d}")


NO_CHANGES = {
    "title": lambda call, a: Application.objects.filter(pk=a.pk).update(title="Another title"),
    "selected (still considered)": lambda call, a: Application.objects.filter(pk=a.pk).update(
        state=ApplicationState.SELECTED
    ),
    "lead's name": lambda call, a: Organisation.objects.filter(pk=a.lead_id).update(name="Renamed Ltd"),
    "a draft's reference": _draft_renumbered,
}


@SQLITE
@pytest.mark.parametrize("change", NO_CHANGES)
def test_a_change_a_ranking_does_not_read_keeps_it(scored, call, change):
    kept(call)
    before = ranking_version(call.pk)
    NO_CHANGES[change](call, considered(call)[0])
    assert ranking_version(call.pk) == before
    assert kept(call) == fresh(call)


def test_plan_settings_are_part_of_the_key(scored, call):
    """A change of the tie-breaks or of the scoring settings reads another kept ranking (none):
    the version counts changes of rows, the key names the settings."""
    kept(call)
    plan = EvaluationPlan.objects.get(call=call)
    plan.tie_breaks = list(reversed(plan.tie_breaks))
    plan.save(update_fields=["tie_breaks"])
    assert kept(call) == fresh(call)
    BonusRule.objects.create(plan=plan, code="local-hire", label="Local hire", points=1)
    assert kept(call) == fresh(call)


def test_a_transaction_that_changed_the_inputs_ranks_afresh(scored, call):
    """A pending RankingChange (PostgreSQL until the commit) means: no version, no kept ranking
    read or written."""
    kept(call)
    with transaction.atomic():
        # What an uncommitted change looks like on PostgreSQL; SQLite folds it at once, so the
        # row is written with the fold trigger out of the way.
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("DROP TRIGGER evaluation_ranking_change_fold")
        RankingChange.objects.create(call=call)
        assert ranking_version(call.pk) is None
        Application.objects.filter(pk=considered(call)[0].pk).update(requested_subsidy=2)
        assert kept(call) == fresh(call)
        transaction.set_rollback(True)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(
        st.tuples(st.sampled_from(sorted(CHANGES) + sorted(NO_CHANGES)), st.integers(0, 39), st.booleans()),
        min_size=1,
        max_size=8,
    )
)
@SQLITE
def test_random_sequences_of_changes_never_read_a_stale_ranking(scored, call, steps, monkeypatch):
    """Random changes, each followed or not by a preview that keeps the ranking or places the
    changes in it (kept again every second change): after each one, the ranking a preview reads
    is the ranking read afresh."""
    monkeypatch.setattr(kept_ranking, "KEEP_PLACED_AFTER", 2)
    cache.clear()
    with transaction.atomic():
        for name, index, preview in steps:
            applications = considered(call)
            if not applications:
                break
            application = applications[index % len(applications)]
            (CHANGES.get(name) or NO_CHANGES[name])(call, application)
            if preview:
                assert kept(call) == fresh(call), name
        assert kept(call) == fresh(call)
        transaction.set_rollback(True)


@SQLITE
def test_a_new_preview_when_nothing_changed_is_the_one_kept(
    scored, call, staff, django_assert_max_num_queries
):
    """The ranking page's new preview: its token names what it was computed from, so when
    nothing changed it is the preview already kept (no ranking read, no walk); a change of the
    ranking's inputs or of a quota gives a new one."""
    first = selection_runs.preview(call, by=staff)
    with django_assert_max_num_queries(6) as context:  # the plan, criteria, quotas, bonus rules, version
        again = selection_runs.preview(call, by=staff)
    assert not [q for q in context.captured_queries if RANKING_READ in q["sql"]]
    assert (again.token, again.computed_at, again.results) == (first.token, first.computed_at, first.results)

    call.max_awards = 1
    call.save(update_fields=["max_awards"])
    fewer = selection_runs.preview(call, by=staff)
    assert fewer.token != first.token
    assert sum(r.outcome == "selected" for r in fewer.results) == 1

    CHANGES["requested subsidy"](call, considered(call)[0])
    changed = selection_runs.preview(call, by=staff)
    assert changed.token not in (first.token, fewer.token)
    results, _digest, _parameters = selection_runs.compute(call, with_hash=False)
    assert changed.results == results
    # The older previews stay kept under their tokens (staff paging through one keep it).
    assert selection_runs.preview(call, by=staff, token=first.token).results == first.results


def test_after_a_scoring_change_the_ranking_is_read_once(scored, call, django_assert_max_num_queries):
    """A change of the plan's scoring settings leaves every sheet written under other settings:
    the first preview after it sees that from one sheet, computes every sheet again, then reads
    the ranking once (not once to find them stale and once more after)."""
    kept(call)
    EvaluationPlan.objects.filter(call=call).update(bonus_cap=F("bonus_cap") + 1)
    plan, scoring = settings_of(call)
    with django_assert_max_num_queries(10) as context:
        ranking = kept_ranking.kept_ranked(call, plan, scoring)
    reads = [q["sql"] for q in context.captured_queries if RANKING_READ in q["sql"]]
    assert len(reads) == 1
    assert ranking == fresh(call)
    fingerprint = score_sheets.plan_fingerprint(plan, scoring)
    assert set(
        ScoreSheet.objects.filter(application__call=call).values_list("plan_fingerprint", flat=True)
    ) == {fingerprint}


def _ranking_reads(context):
    return [q["sql"] for q in context.captured_queries if RANKING_READ in q["sql"]]


WHOLE_CALL_CHANGES = {
    "a change of the whole call": lambda call: RankingChange.record_for_calls([call.pk]),
    "a scoring change": lambda call: EvaluationPlan.objects.filter(call=call).update(
        bonus_cap=F("bonus_cap") + 1
    ),
    "the cache cleared": lambda call: cache.clear(),
    "the kept ranking evicted, its version left": lambda call: _kept_ranking_evicted(call),
    "a review completed after the kept ranking was evicted": lambda call: _changed_after_eviction(call),
}


def _changed_after_eviction(call):
    _kept_ranking_evicted(call)
    CHANGES["sheet rewritten"](call, considered(call)[3])


def _kept_ranking_evicted(call):
    """What a cache full of other entries may do: drop the ranking, keep the small entry beside it."""
    inputs = kept_ranking.inputs_of(call, *settings_of(call))
    assert inputs.kept_version == inputs.version
    cache.delete(inputs.key)


@SQLITE
@pytest.mark.parametrize("change", WHOLE_CALL_CHANGES)
def test_the_beat_ranks_ahead_what_the_next_preview_would_rank_afresh(scored, call, change):
    """After a change the next preview could not place (it would rank the call afresh), the beat
    ranks and keeps it: the preview then reads the ranking kept, equal to a fresh one."""
    kept(call)
    WHOLE_CALL_CHANGES[change](call)
    plan, scoring = settings_of(call)
    assert kept_ranking.ranks_afresh(kept_ranking.inputs_of(call, plan, scoring))

    assert selection_runs.rank_ahead() == [call.pk]

    plan, scoring = settings_of(call)
    assert not kept_ranking.ranks_afresh(kept_ranking.inputs_of(call, plan, scoring))
    with CaptureQueriesContext(connection) as context:
        ranking = kept_ranking.kept_ranked(call, plan, scoring)
    assert not _ranking_reads(context)
    assert ranking == fresh(call)
    # Every sheet is current: after a scoring change the beat wrote them, not the preview.
    fingerprint = score_sheets.plan_fingerprint(plan, scoring)
    assert set(
        ScoreSheet.objects.filter(application__call=call).values_list("plan_fingerprint", flat=True)
    ) == {fingerprint}
    with CaptureQueriesContext(connection) as context:
        assert selection_runs.rank_ahead() == []  # kept now: nothing to rank
    assert not _ranking_reads(context)


@SQLITE
@pytest.mark.parametrize("change", ["sheet rewritten", "bonus granted", "leaves the considered", "lead"])
def test_the_beat_leaves_a_few_changes_to_the_preview_that_places_them(scored, call, change):
    kept(call)
    CHANGES[change](call, considered(call)[3])
    with CaptureQueriesContext(connection) as context:
        assert selection_runs.rank_ahead() == []
    assert not _ranking_reads(context)
    assert kept(call) == fresh(call)


@SQLITE
def test_the_beat_ranks_only_calls_in_evaluation_with_a_ranking_of_sheets(scored, call, staff):
    RankingChange.record_for_calls([call.pk])
    for state in (CallState.PUBLISHED, CallState.RESULTS_PUBLISHED, CallState.CLOSED):
        Call.objects.filter(pk=call.pk).update(state=state)
        assert selection_runs.rank_ahead() == []
    Call.objects.filter(pk=call.pk).update(state=CallState.EVALUATION)

    # No valid plan (the criteria's points no longer add up to 100): nothing to rank, no error.
    criterion = Criterion.objects.filter(plan__call=call).first()
    Criterion.objects.filter(pk=criterion.pk).update(max_points=criterion.max_points + 1)
    assert selection_runs.rank_ahead() == []
    Criterion.objects.filter(pk=criterion.pk).update(max_points=criterion.max_points)

    # A call without a plan, in evaluation, beside one with: only the latter is ranked.
    bare = evaluation_call("no-plan", "NP26")
    EvaluationPlan.objects.filter(call=bare).delete()
    assert selection_runs.rank_ahead() == [call.pk]
    assert selection_runs.rank_ahead(Call.objects.filter(pk=bare.pk)) == []


def test_the_beat_ranks_ahead_every_minute(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["rank-ahead"]
    assert entry == {"task": "evaluation.tasks.rank_ahead", "schedule": 60.0}
    from evaluation.tasks import rank_ahead

    assert rank_ahead.name == "evaluation.tasks.rank_ahead"
