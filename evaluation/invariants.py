"""The invariants of a call's outcomes (DESIGN.md §3 "Invariants"), in the rule book's words:

- the published outcomes of a call never exceed any field, track or call maximum or the
  budget: the applications holding a place (``projects.models.application.holds_place``) are
  at most each maximum, and their requested subsidies add up to at most the budget;
- every considered application has exactly one current outcome: an application with a
  published outcome (selected, reserve, not selected, declined, awarded) has its result in a
  confirmed selection run of the call (one per run: a unique constraint), and its current
  outcome is its state.

``check_outcomes`` is called inside the transaction (the call row locked) of every write that
could break them — confirming a run, a decline and its promotion — after the write: a broken
invariant refuses the write with the reasons and the transaction changes nothing. The
workbook's Checks sheet evaluates the same ``outcome_checks``.
"""

from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, Sum
from django.utils.translation import gettext as _

from competitions.lifecycle import TransitionRefused
from projects.models import Application, ApplicationState

from .models import SelectionResult

# Outcomes that only a confirmed selection run gives (an upheld objection may send one back to
# review; it then has no published outcome until the next confirmed run).
PUBLISHED_OUTCOME_STATES = (
    ApplicationState.SELECTED,
    ApplicationState.RESERVE,
    ApplicationState.NOT_SELECTED,
    ApplicationState.DECLINED,
    ApplicationState.AWARDED,
)


@dataclass(frozen=True)
class Check:
    """One invariant evaluated: ``actual`` against ``limit`` (at most, or equal to ``limit``
    when ``at_most`` is False)."""

    text: str
    limit: int
    actual: int
    at_most: bool = True

    @property
    def passed(self):
        return self.actual <= self.limit if self.at_most else self.actual == self.limit


def outcome_checks(call):
    """Every outcome invariant of ``call`` evaluated, in two queries (and the call's tracks and
    fields, unless prefetched)."""
    names = {"call": call.slug}
    by_field, by_track = Counter(), Counter()
    places = requested = 0
    for field_id, track_id, count, subsidy in (
        Application.objects.filter(call=call)
        .holding_place()
        .values_list("service_field_id", "track_id")
        .annotate(n=Count("pk"), requested=Sum("requested_subsidy"))
        .order_by()
    ):
        by_field[field_id] += count
        by_track[track_id] += count
        places += count
        requested += subsidy or 0
    checks = []
    for field in call.service_fields.all():
        checks.append(
            Check(
                _("%(call)s: places held in field %(name)s at most its maximum")
                % {**names, "name": field.display_name},
                field.max_awards,
                by_field[field.pk],
            )
        )
    for track in call.tracks.all():
        checks.append(
            Check(
                _("%(call)s: places held in track %(name)s at most its maximum")
                % {**names, "name": track.display_name},
                track.max_awards,
                by_track[track.pk],
            )
        )
    checks.append(
        Check(_("%(call)s: places held at most the call's maximum") % names, call.max_awards, places)
    )
    checks.append(
        Check(
            _("%(call)s: subsidy requested by the applications holding a place at most the budget (KRW)")
            % names,
            call.budget_total,
            requested,
        )
    )
    without_result = (
        Application.objects.filter(call=call, state__in=PUBLISHED_OUTCOME_STATES)
        .exclude(
            pk__in=SelectionResult.objects.filter(run__call=call, run__confirmed_at__isnull=False).values(
                "application_id"
            )
        )
        .count()
    )
    checks.append(
        Check(
            _("%(call)s: applications with a published outcome but no result in a confirmed run") % names,
            0,
            without_result,
            at_most=False,
        )
    )
    return checks


def outcome_problems(call):
    """The broken invariants of ``call`` as reasons, in the user's language (empty: none)."""
    return [
        _("%(check)s: %(actual)s against %(limit)s.")
        % {"check": check.text, "actual": f"{check.actual:,}", "limit": f"{check.limit:,}"}
        for check in outcome_checks(call)
        if not check.passed
    ]


def check_outcomes(call):
    """Refuse the write under way (TransitionRefused with the reasons) when it broke an outcome
    invariant of ``call``. Call it inside the write's transaction, after the write."""
    problems = outcome_problems(call)
    if problems:
        raise TransitionRefused(
            [_("This would break the call's published outcomes; nothing was changed."), *problems]
        )
