from celery import shared_task


@shared_task
def remind_reviewers():
    """Beat, hourly: reviews due soon or late (see evaluation.reviewing.remind_reviewers)."""
    from .reviewing import remind_reviewers as remind

    return remind()
