"""What applicants are told when an advancement run is confirmed (DESIGN.md §3 "Stages"): each
member of each lead organisation gets one e-mail in their own language (``User.language``),
saying the application advanced to the next stage (with its presentation slot when it is already
placed; placing it later sends its own notice, evaluation.scheduling), or was eliminated, with the
margin in the result letter's words (``result_letters.elimination_margin``, the one wording).
Queued through the outbox inside the confirming transaction, so a refused confirmation tells
nobody. The objection window runs from this notice (``Application.notified_at``)."""

from collections import Counter

from django.utils import translation
from django.utils.translation import gettext as _

from competitions.formatting import format_seoul
from projects.models.application import OBJECTION_WINDOW
from projects.outbox import queue_email

from .models import AdvancementResult, Slot, Stage
from .stages import Outcome


def notify_advancement(run):
    """Queue the notices of a confirmed advancement run ``run``; returns how many were queued."""
    from .result_letters import elimination_margin

    stage = run.stage
    following = Stage.objects.filter(plan_id=stage.plan_id, position__gt=stage.position).order_by("position")
    next_stage = following.first()
    results = list(
        AdvancementResult.objects.filter(run=run)
        .select_related("run__stage", "application__call", "application__service_field")
        .prefetch_related("application__lead__members")
        .order_by("pk")
    )
    ranked = Counter(r.application.service_field_id for r in results if r.field_rank is not None)
    slots = {}
    if next_stage is not None:
        slots = {
            slot.application_id: slot
            for slot in Slot.objects.filter(
                stage=next_stage, application__in=[r.application_id for r in results]
            )
        }
    sent = 0
    for result in results:
        application = result.application
        for member in application.lead.members.all():
            with translation.override(member.language):
                values = {
                    "reference": application.reference,
                    "call": application.call.display_title,
                    "stage": stage.display_name,
                    "next": next_stage.display_name if next_stage else "",
                }
                if result.outcome == Outcome.ADVANCED:
                    subject = _("%(reference)s advanced to %(next)s") % values
                    body = (
                        _(
                            "Your application %(reference)s to %(call)s passed %(stage)s and advanced to %(next)s."
                        )
                        % values
                    )
                    slot = slots.get(application.pk)
                    if slot is not None:
                        body += "\n" + _("Your slot: %(time)s, %(where)s.") % {
                            "time": format_seoul(slot.starts_at),
                            "where": slot.room or slot.video_link,
                        }
                    else:
                        body += "\n" + _("You will be told the time of your slot when it is scheduled.")
                else:
                    subject = _("%(reference)s was not advanced beyond %(stage)s") % values
                    body = (
                        _("Your application %(reference)s to %(call)s was not advanced beyond %(stage)s.")
                        % values
                        + "\n"
                        + elimination_margin(result, ranked[application.service_field_id])
                        + "\n"
                        + _("You may object within %(days)d days of this notice, on the application's page.")
                        % {"days": OBJECTION_WINDOW.days}
                    )
            queue_email(member.email, subject, body)
            sent += 1
    return sent
