"""The kept ranking on PostgreSQL, where a change of its inputs reaches the call's version when
its transaction commits (a deferred trigger): each change committed moves the version and the
kept ranking follows it; until the commit the changing transaction ranks afresh and others keep
the old version; two transactions that change the same call while each waits for a row the
other holds both commit (the version row is only locked at the commit)."""

import threading

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from evaluation import kept_ranking, score_sheets, selection_runs
from evaluation.generate import generate, system_user
from evaluation.models import RankingChange
from evaluation.models import ranking_version as ranking_versions
from evaluation.models.ranking_version import LOGGED_CHANGES, ranking_version
from projects.models import Application
from tests.evaluation.conftest import evaluation_call
from tests.evaluation.test_kept_ranking import (
    CHANGES,
    NO_CHANGES,
    RANKING_READ,
    WHOLE_CALL_CHANGES,
    assert_a_version_made_again_follows_the_log,
    considered,
    fresh,
    kept,
    settings_of,
)


@pytest.fixture
def scored(role_groups):
    cache.clear()
    call = evaluation_call("pilot-eval", "PE26")
    generate(call, count=24, reviewers=6, seed=11, by=system_user())
    return call


@pytest.mark.parametrize("change", CHANGES)
def test_every_committed_change_moves_the_version_and_the_kept_ranking(scored, change):
    call = scored
    before_ranking = kept(call)
    before = ranking_version(call.pk)
    application = considered(call)[len(before_ranking[0]) // 2]
    with transaction.atomic():
        CHANGES[change](call, application)
        assert ranking_version(call.pk) is None  # this transaction changed it: no kept ranking
        assert kept(call) == fresh(call)
    assert ranking_version(call.pk) > before
    assert kept(call) == fresh(call)
    assert kept(call) == fresh(call)


@pytest.mark.parametrize("change", NO_CHANGES)
def test_a_committed_change_a_ranking_does_not_read_keeps_the_version(scored, change):
    call = scored
    kept(call)
    before = ranking_version(call.pk)
    NO_CHANGES[change](call, considered(call)[0])
    assert ranking_version(call.pk) == before
    assert kept(call) == fresh(call)


def test_other_transactions_see_the_version_move_at_the_commit(scored):
    call = scored
    kept(call)
    before = ranking_version(call.pk)
    seen = {}
    changed, checked = threading.Event(), threading.Event()

    def other():
        changed.wait(10)
        seen["during"] = ranking_version(call.pk)
        checked.set()
        connection.close()

    thread = threading.Thread(target=other)
    thread.start()
    with transaction.atomic():
        CHANGES["requested subsidy"](call, considered(call)[0])
        changed.set()
        checked.wait(10)
    thread.join(10)
    assert seen["during"] == before
    assert ranking_version(call.pk) == before + 1
    assert kept(call) == fresh(call)


def test_two_transactions_waiting_on_each_others_rows_both_commit(scored):
    """The first writes a sheet of the call (a change of its ranking) and then updates an
    application the second has locked; the second writes a sheet after that. Were the version row
    locked at the first change, the second would wait for the first and the first for the second
    (a deadlock); it is locked at the commit, so the second commits and then the first."""
    call = scored
    plan, scoring = settings_of(call)
    first, second = considered(call)[:2]
    before = ranking_version(call.pk)
    locked, outcomes = threading.Barrier(2), {}

    def change(name, mine, theirs):
        try:
            with transaction.atomic():
                Application.objects.select_for_update().get(pk=mine.pk)
                if name == "first":
                    score_sheets.write_sheets(call, plan, scoring, [mine.pk])
                    locked.wait(10)
                    Application.objects.filter(pk=theirs.pk).update(
                        requested_subsidy=theirs.requested_subsidy + 1
                    )
                else:
                    locked.wait(10)
                    score_sheets.write_sheets(call, plan, scoring, [mine.pk])
            outcomes[name] = "committed"
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test inspects
            outcomes[name] = repr(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=change, args=("first", first, second)),
        threading.Thread(target=change, args=("second", second, first)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert outcomes == {"first": "committed", "second": "committed"}
    # Two sheet writes and a change of a request: three changes, folded at the two commits.
    assert ranking_version(call.pk) == before + 3
    assert kept(call) == fresh(call)


@pytest.mark.parametrize("change", CHANGES)
def test_a_committed_change_is_placed_not_ranked_again(scored, change):
    """At the commit each change is stamped with its version and names its application: the
    kept ranking places that one again instead of ranking the call."""
    call = scored
    kept(call)
    before = ranking_version(call.pk)
    with transaction.atomic():
        CHANGES[change](call, considered(call)[len(considered(call)) // 2])
    log = RankingChange.objects.filter(call=call, version__gt=before)
    assert log.count() == ranking_version(call.pk) - before
    assert None not in log.values_list("application", flat=True)
    with CaptureQueriesContext(connection) as context:
        ranking = kept(call)
    assert not [q for q in context.captured_queries if RANKING_READ in q["sql"]]
    assert ranking == fresh(call)


def test_the_log_keeps_a_calls_last_changes(scored):
    call = scored
    application = considered(call)[0]
    with transaction.atomic():
        RankingChange.objects.bulk_create(
            RankingChange(call=call, application=application) for _ in range(LOGGED_CHANGES + 5)
        )
        assert RankingChange.objects.filter(call=call, version=None).count() == LOGGED_CHANGES + 5
    version = ranking_version(call.pk)
    log = RankingChange.objects.filter(call=call)
    assert log.count() == LOGGED_CHANGES
    assert min(log.values_list("version", flat=True)) == version - LOGGED_CHANGES + 1


def test_changes_of_many_applications_are_one_change_of_the_call(scored, monkeypatch):
    """More than NAMED_CHANGES applications at once: one change of the whole call, committed."""
    call = scored
    monkeypatch.setattr(ranking_versions, "NAMED_CHANGES", 3)
    before = ranking_version(call.pk)
    with transaction.atomic():
        RankingChange.record_for_applications([a.pk for a in considered(call)[:4]])
    assert ranking_version(call.pk) == before + 1
    assert list(
        RankingChange.objects.filter(call=call, version__gt=before).values_list("application", flat=True)
    ) == [None]
    assert kept(call) == fresh(call)


@pytest.mark.parametrize("change", ["a change of the whole call", "a scoring change"])
def test_the_beat_ranks_ahead_a_committed_change_of_the_whole_call(scored, change):
    """In a worker's own transaction, after the change committed: the ranking is kept at the
    new version, and the preview in another transaction reads it without ranking the call."""
    call = scored
    kept(call)
    with transaction.atomic():
        WHOLE_CALL_CHANGES[change](call)
    before = ranking_version(call.pk)
    assert selection_runs.rank_ahead() == [call.pk]
    plan, scoring = settings_of(call)
    with CaptureQueriesContext(connection) as context:
        ranking = kept_ranking.kept_ranked(call, plan, scoring)
    assert not [q for q in context.captured_queries if RANKING_READ in q["sql"]]
    assert ranking == fresh(call)
    # A scoring change: the beat wrote every sheet (one change of the whole call, committed).
    assert ranking_version(call.pk) == before + (change == "a scoring change")
    assert selection_runs.rank_ahead() == []


def _beat_and_preview_at_once(call):
    """The beat and a preview started together, each in its own connection: their outcomes."""
    start, outcomes = threading.Barrier(2), {}

    def beat():
        try:
            start.wait(10)
            outcomes["beat"] = selection_runs.rank_ahead()
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test inspects
            outcomes["beat"] = repr(exc)
        finally:
            connection.close()

    def preview():
        try:
            plan, scoring = settings_of(call)
            start.wait(10)
            outcomes["preview"] = kept_ranking.kept_ranked(call, plan, scoring)
        except Exception as exc:  # noqa: BLE001
            outcomes["preview"] = repr(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=beat), threading.Thread(target=preview)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes


def test_the_beat_and_a_preview_writing_every_sheet_at_once_both_finish(scored):
    """After a scoring change the beat and a member of staff's preview may both write every
    sheet of the call at the same moment: they lock the sheets in the same order (by
    application), so one waits for the other instead of deadlocking; both rankings are right."""
    call = scored
    kept(call)
    for _round in range(3):
        WHOLE_CALL_CHANGES["a scoring change"](call)
        outcomes = _beat_and_preview_at_once(call)
        expected = fresh(call)
        assert outcomes["beat"] in ([call.pk], [])  # []: the preview had kept it first
        assert outcomes["preview"] == expected
        assert kept(call) == expected


def test_a_scoring_change_saved_in_the_admin_is_ranked_ahead_at_the_commit(scored, client):
    """The admin's save commits, then its call is ranked ahead (the eager task here, a worker in
    production): the sheets are written under the new settings and the next preview reads the
    ranking kept."""
    from django.urls import reverse

    from tests.evaluation.test_selection_runs import _plan_admin_form
    from tests.factories import StaffFactory

    call = scored
    kept(call)
    client.force_login(StaffFactory(is_superuser=True))
    plan = call.evaluation_plan
    response = client.post(
        reverse("admin:evaluation_evaluationplan_change", args=[plan.pk]),
        _plan_admin_form(plan, bonus_cap="3"),
    )
    assert response.status_code == 302
    plan, scoring = settings_of(call)
    assert plan.bonus_cap == 3
    inputs = kept_ranking.inputs_of(call, plan, scoring)
    assert inputs.one_sheet_under == inputs.fingerprint  # the sheets were written after the save
    assert not kept_ranking.ranks_afresh(inputs)
    with CaptureQueriesContext(connection) as context:
        ranking = kept_ranking.kept_ranked(call, plan, scoring, inputs)
    assert not [q for q in context.captured_queries if RANKING_READ in q["sql"]]
    assert ranking == fresh(call)


def test_a_version_never_goes_back_at_the_commit(scored):
    assert_a_version_made_again_follows_the_log(scored)
