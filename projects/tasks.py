import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task
def send_outbox():
    from .outbox import send_pending

    return send_pending()


@shared_task
def remind_due_reports():
    from .reports import remind_due_reports as remind

    return remind()


@shared_task
def return_overdue_corrections():
    """Beat, every minute: applications whose correction deadline passed go back to staff."""
    from .corrections import return_overdue

    return return_overdue()


@shared_task
def follow_up_reports():
    """Beat, daily: open the follow-up reports of ended projects and remind their writers."""
    from .indicators import follow_up_reports as run

    return run()


@shared_task
def check_duplicates(application_id):
    """The duplicate-funding check of a submission, after it committed (a submission now queues
    after_submission; this one stays for the messages queued before it)."""
    from .duplicates import check_after_submission

    return check_after_submission(application_id)


@shared_task
def after_submission(application_id):
    """What followed one submission (a submission now wakes after_submissions; this one stays
    for the messages queued before it)."""
    from .duplicates import check_after_submission
    from .outbox import send_pending

    try:
        send_pending()
    finally:
        checked = check_after_submission(application_id)
    return checked


# Set while an after_submissions task is on its way to a worker (Django's cache: Redis in
# production, shared by every web instance); it expires, in case that message is lost.
AFTER_SUBMISSIONS_PENDING = "projects:after-submissions-pending"
AFTER_SUBMISSIONS_PENDING_SECONDS = 60


def wake_after_submissions():
    """After a submission commits: have a worker run after_submissions, unless one is already on
    its way (it will see this submission, committed before it starts). A deadline burst thus
    publishes a few messages, not one a submission: a publish costs a request about 1 ms of CPU,
    asking the cache about 0.1 ms."""
    from django.core.cache import cache

    try:
        on_its_way = not cache.add(AFTER_SUBMISSIONS_PENDING, True, AFTER_SUBMISSIONS_PENDING_SECONDS)
    except Exception:  # noqa: BLE001 - a cache that is down must not cost the submission its task
        logger.warning("The cache did not answer; publishing after_submissions anyway", exc_info=True)
        on_its_way = False
    if not on_its_way:
        after_submissions.delay()


@shared_task
def after_submissions():
    """What follows submissions once they committed, for every one since the last run: send what
    waits in the outbox (their receipts), then check each submission not yet checked for
    duplicate funding. Either, lost, is swept up by beat (send_outbox,
    check_unchecked_duplicates)."""
    from django.core.cache import cache

    from .duplicates import check_unchecked
    from .outbox import send_pending

    # First: a submission that commits from now on wakes another run, and one that committed
    # before is read below.
    try:
        cache.delete(AFTER_SUBMISSIONS_PENDING)
    except Exception:  # noqa: BLE001 - the receipts still go out; the key expires on its own
        logger.warning("The cache did not answer; after_submissions runs anyway", exc_info=True)
    try:
        send_pending(limit=1000)
    finally:
        checked = check_unchecked(grace=None)
    return checked


@shared_task
def check_unchecked_duplicates():
    """Beat, every minute: submissions whose check never ran (lost on the way to the worker)."""
    from .duplicates import check_unchecked

    return check_unchecked()
