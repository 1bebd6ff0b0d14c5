"""Assign reviewers to a Call's eligible applications, panel by panel, and open their review.

The algorithm (balanced, conflict-free, deterministic for a seed) is evaluation.assignment;
this module reads its inputs from the database and writes the assignments.
"""

from collections import defaultdict

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from competitions.lifecycle import require_call_state
from projects import workflow
from projects.bulk import insert_rows
from projects.models import Application, ApplicationState

from .assignment import AssignmentImpossible, assign
from .conflicts import conflicts_for
from .models import Assignment, Panel
from .review_progress import recount
from .stage_runs import current_stages


def panel_for(application, panels):
    """The most specific panel that covers the application's track and field."""
    covering = [panel for panel in panels if panel.covers(application)]
    return max(covering, key=lambda panel: (panel.specificity, -panel.pk), default=None)


def assign_reviewers(call, *, by, seed=0):
    """Give every eligible (or under-review, short of reviews) application its reviews.

    All or nothing: raises AssignmentImpossible (with the reason) and writes nothing when an
    application cannot get enough unconflicted reviewers. Returns the number of new assignments.
    """
    with transaction.atomic():
        # One assignment run per call at a time (the call row is locked), once reception closed.
        require_call_state(call, "assignment", by=by)
        plan = call.evaluation_plan
        applications = list(
            Application.objects.filter(
                call=call, state__in=[ApplicationState.ELIGIBLE, ApplicationState.UNDER_REVIEW]
            ).only("pk", "reference", "track_id", "service_field_id", "lead_id", "call_id")
        )
        panels = list(Panel.objects.filter(call=call).select_related("stage").prefetch_related("reviewers"))
        # A call evaluated in stages: each application is assigned in its current stage, by
        # that stage's panels (evaluation.stage_runs); otherwise the plan is the only stage.
        stage_of = current_stages(call, [a.pk for a in applications])
        by_panel = defaultdict(list)
        for application in applications:
            stage = stage_of.get(application.pk)
            panel = panel_for(application, [p for p in panels if p.stage_id == (stage.pk if stage else None)])
            if panel is None and stage is not None:
                raise AssignmentImpossible(
                    _("No panel of the stage %(stage)s covers %(reference)s; add a panel for this stage.")
                    % {"stage": stage, "reference": application.reference},
                    application.pk,
                )
            if panel is None:
                raise AssignmentImpossible(
                    _("No panel of this call covers %(reference)s; add a panel for its track and field.")
                    % {"reference": application.reference},
                    application.pk,
                )
            by_panel[panel].append(application)

        existing = defaultdict(set)
        excluded = defaultdict(set)  # recused or earlier-round reviewers never come back
        for application_id, reviewer_id, state, stage_id in Assignment.objects.filter(
            application__call=call
        ).values_list("application_id", "reviewer_id", "state", "stage_id"):
            stage = stage_of.get(application_id)
            if stage_id != (stage.pk if stage else None):
                continue  # another stage's reviewers neither count here nor are excluded
            if state == Assignment.State.ACTIVE:
                existing[application_id].add(reviewer_id)
            else:
                excluded[application_id].add(reviewer_id)

        rounds = Assignment.objects.filter(application__call=call).current_rounds()
        new_rows = []
        now = timezone.now()
        for panel, members in by_panel.items():
            reviewers = list(panel.reviewers.all())
            conflicts = conflicts_for(call, members, reviewers)
            for application_id, blocked in excluded.items():
                if application_id in conflicts:
                    conflicts[application_id] |= blocked
            # A reviewer already on an application stays until they recuse (reviewing.recuse).
            for application_id in conflicts:
                conflicts[application_id] -= existing[application_id]
            chosen = assign(
                [a.pk for a in members],
                [r.pk for r in reviewers],
                panel.stage.reviews_per_application if panel.stage_id else plan.reviews_per_application,
                conflicts=conflicts,
                seed=seed,
                existing={a.pk: existing[a.pk] for a in members if existing[a.pk]},
                labels={a.pk: a.reference for a in members},
            )
            new_rows.extend(
                (
                    application_id,
                    reviewer_id,
                    Assignment.State.ACTIVE,
                    "",
                    rounds.get(application_id, 1),
                    now,
                    panel.stage_id,
                )
                for application_id, reviewer_ids in chosen.items()
                for reviewer_id in reviewer_ids
            )
        insert_rows(
            Assignment,
            ["application_id", "reviewer_id", "state", "recusal_reason", "round", "created_at", "stage_id"],
            new_rows,
        )
        recount(call.pk, {row[1] for row in new_rows})  # their kept progress (evaluation.review_progress)
        workflow.bulk_transition(
            [a.pk for a in applications if a.pk],
            "open_review",
            by=by,
            description=_("Reviewers assigned."),
        )
    return len(new_rows)
