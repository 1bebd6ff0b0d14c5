"""Who is told when a call's notice page changes (competitions.signals): this floor knows the
applications, their organisations' people and the outbox. Called inside the write's
transaction, so the e-mails are queued with it or not at all. Each person reads the message in
their own language (User.language)."""

from django.contrib.auth import get_user_model
from django.dispatch import receiver
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from competitions.formatting import format_seoul
from competitions.signals import deadline_extended, question_answered

from .models import Application, ApplicationState
from .outbox import queue_email


def people_with_an_application(call):
    """Everyone in the lead organisation of a draft or a submission in ``call`` (an application
    not withdrawn), each once."""
    leads = Application.objects.filter(call=call).exclude(state=ApplicationState.WITHDRAWN).values("lead_id")
    return get_user_model().objects.filter(memberships__organisation__in=leads).distinct().order_by("pk")


@receiver(deadline_extended, dispatch_uid="projects.call_notices.deadline_extended")
def tell_applicants_of_extension(sender, call, extension, **kwargs):
    people = list(people_with_an_application(call).only("pk", "email", "language"))
    for person in people:
        with translation.override(person.language):
            subject = _("Deadline extended: %(call)s") % {"call": call.display_title}
            body = _(
                "The reception deadline of %(call)s has been extended from %(old)s to %(new)s.\n\n"
                "Reason: %(reason)s\n\nYour application can be completed and submitted until the new deadline."
            ) % {
                "call": call.display_title,
                "old": format_seoul(extension.previous_closes_at),
                "new": format_seoul(extension.new_closes_at),
                "reason": extension.reason,
            }
        queue_email(person.email, subject, body)
    return len(people)


@receiver(question_answered, dispatch_uid="projects.call_notices.question_answered")
def tell_the_asker(sender, question, **kwargs):
    person = question.asked_by
    page = reverse("competitions:call_detail", args=[question.call.slug])
    with translation.override(person.language):
        subject = _("Your question about %(call)s was answered") % {"call": question.call.display_title}
        body = _(
            "You asked about %(call)s:\n\n%(question)s\n\nThe ministry's answer:\n\n%(answer)s\n\n"
            "The answer is also published on the call's page (%(page)s), without your name."
        ) % {
            "call": question.call.display_title,
            "question": question.text,
            "answer": question.answer,
            "page": page,
        }
    queue_email(person.email, subject, body)
    return 1
