"""Queue and send e-mail through the outbox (see models/outbox.py for why)."""

from typing import NamedTuple

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation

from config.korean import resolve_particles

from .compiled_writes import CompiledInsert
from .models import OutboxMessage

MAX_ATTEMPTS = 5
# Every e-mail is one row; every submission of a deadline burst writes its receipt.
_INSERT = CompiledInsert(OutboxMessage)


def queue_email(to, subject, body, publish=True):
    """Write the message in the caller's transaction; send it after commit (eager or worker).
    Korean particles left double ('%(name)s이(가)' once filled in) are resolved here, the one
    place every e-mail passes (config.korean). ``publish=False``: the caller's own task after
    commit sends it (projects.tasks.after_submissions), so no send task of its own is queued."""
    message = _INSERT.insert(
        OutboxMessage(to=to, subject=resolve_particles(str(subject)), body=resolve_particles(str(body)))
    )
    if not publish:
        return message
    from .tasks import send_outbox

    # delay_on_commit, made robust: with the broker down the row waits for the next sweep
    # instead of failing a request whose data is already committed.
    transaction.on_commit(send_outbox.delay, robust=True)
    return message


class Recipient(NamedTuple):
    """Someone to write to who need not be loaded as a user: an address and its language
    (None: the site's language, e.g. an invitation to an address without an account)."""

    email: str
    language: str | None = None


def tell(people, compose, publish=True):
    """Queue one e-mail to each of ``people``, written in that person's own language (the one
    they chose on their account page), not in the language of whoever clicked: ``compose()``
    returns (subject, body) and runs with that language active. ``people``: users (a
    prefetched ``members.all()`` costs no query) or Recipients. ``publish``: as queue_email."""
    for person in people:
        with translation.override(person.language or settings.LANGUAGE_CODE):
            subject, body = compose()
            queue_email(person.email, subject, body, publish=publish)


def send_pending(limit=100):
    """Send pending messages oldest first; a failure is recorded and retried later.

    Each message is claimed with a row lock that other senders skip (SKIP LOCKED on
    PostgreSQL), so the task after a commit and beat's sweep running at once never send one
    message twice."""
    sent, tried = 0, []
    for _ in range(limit):
        with transaction.atomic():
            message = (
                OutboxMessage.objects.select_for_update(skip_locked=True)
                .filter(status=OutboxMessage.Status.PENDING)
                .exclude(pk__in=tried)
                .order_by("pk")
                .first()
            )
            if message is None:
                break
            tried.append(message.pk)
            try:
                send_mail(message.subject, message.body, settings.DEFAULT_FROM_EMAIL, [message.to])
            except Exception as exc:  # noqa: BLE001 - any transport error is recorded on the row
                message.attempts += 1
                message.last_error = str(exc)[:2000]
                if message.attempts >= MAX_ATTEMPTS:
                    message.status = OutboxMessage.Status.FAILED
                message.save(update_fields=["attempts", "last_error", "status"])
                continue
            message.status = OutboxMessage.Status.SENT
            message.sent_at = timezone.now()
            message.attempts += 1
            message.save(update_fields=["status", "sent_at", "attempts"])
            sent += 1
    return sent
