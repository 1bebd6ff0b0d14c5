"""Reviewing: save and submit scores (then locked), recuse when a conflict is found late (the
application is reassigned), and close the review of a call."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Count, Min
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.system import system_user
from competitions.formatting import format_seoul
from competitions.lifecycle import TransitionRefused
from competitions.models import Call, CallState
from projects import workflow
from projects.models import Application, ApplicationState
from projects.outbox import Recipient, tell

from .assignment import AssignmentImpossible, assign
from .conflicts import conflicts_for, is_conflicted
from .models import Assignment, Criterion, DeclaredConflict, EvaluationPlan, Review, ReviewReminder, Score
from .review_rounds import (
    current_round,
    lacking_reason,
    lacking_reviews,
    refuse_unless_enough_reviews,
    review_requirements,
)
from .score_sheets import write_sheets_for
from .stage_sheets import write_stage_sheets_for


def reviewer_of(user):
    return getattr(user, "reviewer", None) if user.is_authenticated else None


def _own_assignment(assignment, user):
    if reviewer_of(user) is None or assignment.reviewer_id != user.reviewer.pk:
        raise PermissionDenied(_("This review is not assigned to you."))


def parse_points(raw, criterion):
    """A criterion's points from a form value: a number from 0 to its maximum, else a message."""
    try:
        points = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        return None, _("%(criterion)s: enter a number from 0 to %(max)s.") % {
            "criterion": criterion.display_name,
            "max": f"{criterion.max_points.normalize():f}",
        }
    if (
        not points.is_finite()
        or points < 0
        or points > criterion.max_points
        or points != points.quantize(Decimal("0.01"))
    ):
        return None, _("%(criterion)s: enter a number from 0 to %(max)s.") % {
            "criterion": criterion.display_name,
            "max": f"{criterion.max_points.normalize():f}",
        }
    return points, None


class ScoresRefused(TransitionRefused):
    """Scores refused: each reason also keyed by its criterion's id (``by_criterion``), so the
    form can show it beside the score it concerns."""

    def __init__(self, by_criterion):
        self.by_criterion = dict(by_criterion)
        super().__init__(list(self.by_criterion.values()))


def save_review(assignment, entries, *, by, comment="", submit=False, now=None):
    """Save a reviewer's scores (``entries``: criterion -> (raw points, comment)).

    Submitting needs every criterion; a submitted review is locked, as is every review of an
    application whose review has been closed. Raises TransitionRefused with the reasons.
    """
    _own_assignment(assignment, by)
    now = now or timezone.now()
    with transaction.atomic():
        assignment = (
            Assignment.objects.select_for_update()
            .select_related("application__call", "reviewer")
            .get(pk=assignment.pk)
        )
        # Locked too: staff closing the review cannot score it between this check and the save.
        application = Application.objects.select_for_update().get(pk=assignment.application_id)
        if assignment.state == Assignment.State.PAST:
            raise TransitionRefused(
                [_("This review belongs to an earlier round, replaced after an objection; it is locked.")]
            )
        if assignment.state != Assignment.State.ACTIVE:
            raise TransitionRefused([_("You recused yourself from this application.")])
        # Checked again here: a membership or consortium may have changed since assignment.
        if is_conflicted(assignment.reviewer, application):
            raise TransitionRefused(
                [
                    _(
                        "You have a conflict of interest with this application and cannot score it; recuse yourself."
                    )
                ]
            )
        if application.state != ApplicationState.UNDER_REVIEW:
            raise TransitionRefused([_("The review of this application is closed; scores are locked.")])
        if assignment.stage_id is not None:
            from .stage_runs import current_stages

            if current_stages(application.call, [application.pk])[application.pk].pk != assignment.stage_id:
                raise TransitionRefused([_("This stage of the evaluation is over; its scores are locked.")])
        # The pledge for the call and the declaration of no conflict come first (evaluation.pledges).
        from .pledges import refusals_before_scoring

        if not_yet := refusals_before_scoring(assignment, application.call_id):
            raise TransitionRefused(not_yet)
        review, _created = Review.objects.get_or_create(
            assignment=assignment, defaults={"application": application}
        )
        if review.state == Review.State.SUBMITTED:
            raise TransitionRefused([_("You submitted this review; it is locked.")])
        errors, values = {}, {}
        for criterion, (raw, note) in entries.items():
            if raw in (None, ""):
                continue
            points, error = parse_points(raw, criterion)
            if error:
                errors[criterion.pk] = error
            else:
                values[criterion] = (points, note or "")
        if submit:
            already = set(review.scores.values_list("criterion_id", flat=True))
            for criterion in Criterion.objects.for_assignment(assignment):
                if criterion not in values and criterion.pk not in already and criterion.pk not in errors:
                    errors[criterion.pk] = _("%(criterion)s: a score is required to submit.") % {
                        "criterion": criterion.display_name
                    }
        if errors:
            raise ScoresRefused(errors)
        for criterion, (points, note) in values.items():
            Score.objects.update_or_create(
                review=review, criterion=criterion, defaults={"points": points, "comment": note}
            )
        scores = review.scores.select_related("criterion")
        review.total = sum((s.points * s.criterion.weight for s in scores), Decimal(0))
        review.comment = comment
        written = ["total", "comment", "updated_at"]
        if submit:
            review.state = Review.State.SUBMITTED
            review.submitted_at = now
            written += ["state", "submitted_at"]
        # The columns named: a draft saved again does not recount progress (it counts states).
        review.save(update_fields=written)
        if submit:
            _complete_if_done(application)
            tell(
                [by],
                lambda: (
                    _("Review submitted: %(reference)s") % {"reference": application.reference},
                    _("Your review of %(reference)s was submitted on %(time)s; it is now locked.")
                    % {"reference": application.reference, "time": format_seoul(now)},
                ),
            )
    return review


def complete_reviews(application_ids, *, by, description):
    """The applications' reviews are complete: they become scored (their scores lock) and their
    score sheets are written. The only way into "scored": refused (TransitionRefused, one reason
    per application, nothing changed) unless each has at least its stage's (or plan's) minimum of reviews
    that count, checked with the applications' rows locked. Returns the ids that moved."""
    with transaction.atomic():
        applications = list(
            Application.objects.select_for_update()
            .filter(pk__in=list(application_ids), state=ApplicationState.UNDER_REVIEW)
            .order_by("pk")
            .only("pk", "reference", "call_id")
        )
        refuse_unless_enough_reviews(applications)
        moved = workflow.bulk_transition(
            [a.pk for a in applications], "complete_review", by=by, description=description
        )
        write_sheets_for(moved)
        write_stage_sheets_for(moved)
    return moved


def _complete_if_done(application):
    """Scored once every active assignment's review is submitted, when they are at least the
    minimum (after a recusal without a replacement they may not be: the application then
    waits under review for staff to add a reviewer). In a call evaluated in stages, only the
    current stage's assignments and reviews, against the stage's minimum. An automatic
    transition, logged as the system account, never as the reviewer whose submission triggered
    it (whom the applicant reading its history must not learn)."""
    requirement = review_requirements([application])[application.pk]
    stage_id = requirement.stage.pk if requirement.stage is not None else None
    active = Assignment.objects.filter(
        application=application, state=Assignment.State.ACTIVE, stage_id=stage_id
    ).count()
    if requirement.counted and requirement.counted == active and requirement.met:
        complete_reviews([application.pk], by=system_user(), description=_("All reviews submitted."))


def recuse(assignment, *, by, reason, seed=0):
    """A conflict found late: the reviewer steps back, the conflict is recorded, and the
    application gets another reviewer. Returns the new Assignment, or None when no free
    reviewer is left (staff then add one to the panel)."""
    _own_assignment(assignment, by)
    if not reason.strip():
        raise TransitionRefused([_("Say briefly why you have a conflict of interest.")])
    with transaction.atomic():
        assignment = (
            Assignment.objects.select_for_update()
            .select_related("application__call", "reviewer")
            .get(pk=assignment.pk)
        )
        review = getattr(assignment, "review", None)
        if review is not None and review.state == Review.State.SUBMITTED:
            raise TransitionRefused(
                [_("You already submitted this review; ask the ministry to withdraw it.")]
            )
        application = assignment.application
        assignment.state = Assignment.State.RECUSED
        assignment.recusal_reason = reason
        assignment.save(update_fields=["state", "recusal_reason"])
        DeclaredConflict.objects.get_or_create(
            reviewer=assignment.reviewer, organisation_id=application.lead_id, defaults={"reason": reason}
        )
        return _top_up(application, by=by, seed=seed)


def _top_up(application, *, by, seed=0):
    """Assign the application reviewers up to its stage's reviews per application (the plan's
    without stages), from the panel of its current stage that covers it; the reviewers it had
    before in that stage and left (recused, or of a superseded round) are not taken again.
    Returns the first new Assignment, or None when no free reviewer is left."""
    from .assigning import panel_for
    from .models import Panel
    from .stage_runs import current_stages

    stage = current_stages(application.call, [application.pk]).get(application.pk)
    stage_id = stage.pk if stage is not None else None
    panels = list(
        Panel.objects.filter(call=application.call, stage_id=stage_id).prefetch_related("reviewers")
    )
    panel = panel_for(application, panels)
    if panel is None:
        return None
    reviewers = list(panel.reviewers.all())
    rows = Assignment.objects.filter(application=application, stage_id=stage_id).values_list(
        "reviewer_id", "state"
    )
    existing = {r for r, state in rows if state == Assignment.State.ACTIVE}
    blocked = (
        conflicts_for(application.call, [application], reviewers)[application.pk]
        | {r for r, state in rows if state != Assignment.State.ACTIVE}
    ) - existing
    wanted = stage.reviews_per_application if stage is not None else None
    try:
        chosen = assign(
            [application.pk],
            [r.pk for r in reviewers],
            wanted or application.call.evaluation_plan.reviews_per_application,
            conflicts={application.pk: blocked},
            seed=seed,
            existing={application.pk: existing},
            labels={application.pk: application.reference},
        )
    except AssignmentImpossible:
        return None
    round_ = current_round(application.pk)
    new = [
        Assignment.objects.create(application=application, reviewer_id=r, round=round_, stage_id=stage_id)
        for r in chosen[application.pk]
    ]
    return new[0] if new else None


@dataclass(frozen=True)
class ClosedReview:
    scored: list  # ids of the applications scored by closing
    lacking: list  # the reasons of those left under review, short of reviews that count
    already_scored: int = 0  # scored before the close (their last review completed them)

    def message(self):
        """What staff read after closing: the applications scored by the close and those their
        last review had already scored (closing with every review in scores none anew)."""
        now = len(self.scored)
        if not self.already_scored:
            return ngettext(
                "Review closed: %(count)d application scored.",
                "Review closed: %(count)d applications scored.",
                now,
            ) % {"count": now}
        return ngettext(
            "Review closed: %(count)d application scored now, %(already)d already scored when its last review came in.",
            "Review closed: %(count)d applications scored now, %(already)d already scored when their last review came in.",
            self.already_scored,
        ) % {"count": now, "already": self.already_scored}


def close_review(call, *, by):
    """Staff close the panel: the applications under review with at least their stage's (or the plan's) minimum of
    reviews that count become scored (their drafts stay unsubmitted and locked). Those short of
    it are not scored on fewer: they stay under review, listed with their reason, until staff
    add reviewers."""
    with transaction.atomic():
        under_review = list(
            Application.objects.select_for_update()
            .filter(call=call, state=ApplicationState.UNDER_REVIEW)
            .order_by("reference", "pk")
            .only("pk", "reference", "call_id")
        )
        lacking = lacking_reviews(under_review)
        short = {row[0].pk for row in lacking}
        ready = [a.pk for a in under_review if a.pk not in short]
        moved = complete_reviews(ready, by=by, description=_("Review closed by staff.")) if ready else []
        already = (
            Application.objects.filter(call=call, state=ApplicationState.SCORED).exclude(pk__in=moved).count()
        )
    return ClosedReview(
        scored=moved, lacking=[lacking_reason(*row) for row in lacking], already_scored=already
    )


# --- Reminders ----------------------------------------------------------------------------------

# With a due date: remind from this long before it (and after it, while reviews are late), once
# a day. Without one there is no deadline to approach, so reviewers whose oldest pending review
# was assigned at least a week ago are reminded once a week.
REMIND_BEFORE_DUE = timedelta(days=3)
UNDATED_REMINDER_INTERVAL = timedelta(days=7)


def pending_reviews(call):
    """{reviewer id: (Recipient, reviews not yet submitted, oldest assignment time)} for a call."""
    pending = {}
    rows = (
        Assignment.objects.filter(
            application__call=call,
            state=Assignment.State.ACTIVE,
            application__state=ApplicationState.UNDER_REVIEW,
        )
        .exclude(review__state=Review.State.SUBMITTED)
        .values("reviewer_id", "reviewer__user__email", "reviewer__user__language")
        .annotate(count=Count("pk"), oldest=Min("created_at"))
    )
    for row in rows:
        reader = Recipient(row["reviewer__user__email"], row["reviewer__user__language"])
        pending[row["reviewer_id"]] = (reader, row["count"], row["oldest"])
    return pending


def _send_reminder(call, reviewer_id, reader, count, *, by, today, due_at):
    """Record the reminder and queue its e-mail in one transaction; False when this reviewer
    was already reminded of this call today (by another run, or by staff)."""
    try:
        with transaction.atomic():
            ReviewReminder.objects.create(
                reviewer_id=reviewer_id, call=call, sent_on=today, pending=count, sent_by=by
            )

            def reminder():
                body = _("You have %(count)d review(s) to submit for %(call)s.") % {
                    "count": count,
                    "call": call.display_title,
                }
                if due_at is not None:
                    body += "\n" + _("Reviews are due by %(due)s.") % {"due": format_seoul(due_at)}
                return _("Reminder: reviews waiting in %(call)s") % {"call": call.display_title}, body

            tell([reader], reminder)
    except IntegrityError:
        return False
    return True


def remind_call_reviewers(call, *, by, now=None):
    """Staff's *Remind* button: every reviewer with pending reviews in ``call`` (unless already
    reminded today). Returns the number reminded."""
    now = now or timezone.now()
    plan = EvaluationPlan.objects.filter(call=call).first()
    due_at = plan.review_due_at if plan else None
    today = timezone.localdate(now)
    return sum(
        _send_reminder(call, reviewer_id, reader, count, by=by, today=today, due_at=due_at)
        for reviewer_id, (reader, count, _oldest) in pending_reviews(call).items()
    )


def remind_reviewers(now=None):
    """Beat, hourly: remind reviewers whose reviews are due within REMIND_BEFORE_DUE or late
    (once a day), or, in a call without a due date, waiting for a week (once a week).
    Returns the number of reminders queued."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    calls = Call.objects.filter(state=CallState.EVALUATION).select_related("evaluation_plan")
    system = None
    sent = 0
    for call in calls:
        plan = getattr(call, "evaluation_plan", None)
        due_at = plan.review_due_at if plan else None
        if due_at is not None and now < due_at - REMIND_BEFORE_DUE:
            continue
        pending = pending_reviews(call)
        if not pending:
            continue
        if due_at is None:
            recent = set(
                ReviewReminder.objects.filter(
                    call=call, sent_on__gt=today - UNDATED_REMINDER_INTERVAL
                ).values_list("reviewer_id", flat=True)
            )
            pending = {
                reviewer_id: row
                for reviewer_id, row in pending.items()
                if reviewer_id not in recent and row[2] <= now - UNDATED_REMINDER_INTERVAL
            }
        system = system or system_user()
        for reviewer_id, (reader, count, _oldest) in pending.items():
            sent += _send_reminder(call, reviewer_id, reader, count, by=system, today=today, due_at=due_at)
    return sent
