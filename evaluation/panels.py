"""Building a call's panels from the reviewer pool: staff create a panel (for the whole call or
one track or service field), add reviewers (seeing each one's conflicts with the call's
applicants, by the one definition in evaluation.conflicts) and remove them, which is refused
while the reviewer holds assignments the panel gave them."""

from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.roles import Role, has_role
from competitions.lifecycle import TransitionRefused
from projects.models import Application, ApplicationState

from .conflicts import conflicts_for
from .models import Assignment, Panel, Reviewer, Stage


def _require_staff(user):
    if not has_role(user, Role.STAFF):
        raise PermissionDenied(_("Only ministry staff build panels."))


def create_panel(call, *, by, name, track=None, service_field=None, stage=None):
    """A panel of the call (of one of its stages, when it is evaluated in stages)."""
    _require_staff(by)
    name = (name or "").strip()
    reasons = []
    if not name:
        reasons.append(_("Give the panel a name."))
    if (track is not None and track.call_id != call.pk) or (
        service_field is not None and service_field.call_id != call.pk
    ):
        reasons.append(_("Choose a track and a service field of this call."))
    if stage is not None and stage.plan.call_id != call.pk:
        reasons.append(_("Choose a stage of this call."))
    elif stage is None and call_has_stages(call):
        reasons.append(_("This call is evaluated in stages: choose the stage the panel reviews."))
    if reasons:
        raise TransitionRefused(reasons)
    return Panel.objects.create(
        call=call, name=name[:200], track=track, service_field=service_field, stage=stage
    )


def call_has_stages(call):
    return Stage.objects.filter(plan__call=call).exists()


def add_reviewers(panel, reviewers, *, by):
    """Put ``reviewers`` on the panel (those already on it stay once). Returns how many joined."""
    _require_staff(by)
    with transaction.atomic():
        panel = Panel.objects.select_for_update().get(pk=panel.pk)
        already = set(panel.reviewers.values_list("pk", flat=True))
        new = [r for r in reviewers if r.pk not in already]
        panel.reviewers.add(*new)
    return len(new)


def assignments_from(panel, reviewer):
    """The reviewer's active assignments on applications the panel covers."""
    rows = Assignment.objects.filter(
        reviewer=reviewer, application__call_id=panel.call_id, state=Assignment.State.ACTIVE
    ).select_related("application")
    return [a for a in rows if panel.covers(a.application)]


def remove_reviewer(panel, reviewer, *, by):
    """Take the reviewer off the panel; refused while they hold assignments it gave them."""
    _require_staff(by)
    with transaction.atomic():
        panel = Panel.objects.select_for_update().get(pk=panel.pk)
        held = assignments_from(panel, reviewer)
        if held:
            raise TransitionRefused(
                [
                    _(
                        "%(code)s holds %(count)d assignment(s) from this panel (%(references)s) and stays on it; "
                        "they must recuse or the review must end first."
                    )
                    % {
                        "code": reviewer.code,
                        "count": len(held),
                        "references": ", ".join(sorted(a.application.reference for a in held)),
                    }
                ]
            )
        panel.reviewers.remove(reviewer)


@dataclass(frozen=True)
class PoolMember:
    reviewer: object
    conflicted_with: list  # references of the call's applications they may not review
    panels: list  # names of this call's panels they sit on


# Applicants as staff building a panel see them: every application submitted to the call.
NOT_APPLYING = [ApplicationState.DRAFT, ApplicationState.WITHDRAWN]


def pool_for(call, *, expertise=None):
    """The reviewer pool as staff see it when building ``call``'s panels: every reviewer (with
    the given expertise, a TechnologyField, if any), the applications of the call each is
    conflicted with, and the panels of the call they sit on. A fixed number of queries."""
    reviewers = Reviewer.objects.select_related("user", "affiliation").prefetch_related("expertise")
    if expertise is not None:
        reviewers = reviewers.filter(expertise=expertise)
    reviewers = list(reviewers.order_by("code"))
    applications = list(
        Application.objects.filter(call=call)
        .exclude(state__in=NOT_APPLYING)
        .only("pk", "reference", "lead_id", "call_id")
    )
    conflicts = conflicts_for(call, applications, reviewers) if reviewers and applications else {}
    conflicted = defaultdict(list)
    for application in applications:
        for reviewer_id in conflicts.get(application.pk, ()):
            conflicted[reviewer_id].append(application.reference)
    on_panels = defaultdict(list)
    for reviewer_id, name in Panel.reviewers.through.objects.filter(panel__call=call).values_list(
        "reviewer_id", "panel__name"
    ):
        on_panels[reviewer_id].append(name)
    return [PoolMember(r, sorted(conflicted[r.pk]), on_panels[r.pk]) for r in reviewers]
