from celery import shared_task


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
    """What follows a submission once it committed, in one message (every request of a deadline
    burst publishes it, and a publish costs the request about 0.6 ms of CPU): send what waits in
    the outbox (its receipt), then its duplicate-funding check. Either, lost, is swept up by
    beat (the outbox sweep; check_unchecked_duplicates)."""
    from .duplicates import check_after_submission
    from .outbox import send_pending

    try:
        send_pending()
    finally:
        checked = check_after_submission(application_id)
    return checked


@shared_task
def check_unchecked_duplicates():
    """Beat, every minute: submissions whose check never ran (lost on the way to the worker)."""
    from .duplicates import check_unchecked

    return check_unchecked()
