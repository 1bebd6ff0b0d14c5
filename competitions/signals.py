"""What the notice page tells the floors above it.

``competitions`` is the bottom floor: it knows calls but not applications, people's
organisations or the outbox (``projects``). When a deadline is extended or a question answered,
it sends one of these signals inside the write's transaction, and ``projects.call_notices``
queues the e-mails in that same transaction (so a refusal or a rollback sends nothing).
Receivers return the number of people they told.
"""

from django.dispatch import Signal

# call, extension (a DeadlineExtension): tell everyone with a draft or a submission in the call.
deadline_extended = Signal()
# question (a Inquiry, answered): tell the person who asked it.
question_answered = Signal()


def people_told(responses):
    """The sum of what the receivers returned (each the number of people it told)."""
    return sum(response for _receiver, response in responses if isinstance(response, int))


# source, copy (two Calls), tracks ({source track pk: its copy}), by: a call was copied
# (competitions.call_copy); each floor above copies what it keeps of a call, in that transaction.
call_copied = Signal()

# model, by (the staff member), file_name, totals ({"new": n, "update": n, ...}), request (None
# for a background import), job (the ImportJob, or None for one written in the request): an
# admin spreadsheet import was written; audit records it in the access log.
import_finished = Signal()
