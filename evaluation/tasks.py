from celery import shared_task


@shared_task
def remind_reviewers():
    """Beat, hourly: reviews due soon or late (see evaluation.reviewing.remind_reviewers)."""
    from .reviewing import remind_reviewers as remind

    return remind()


@shared_task
def rank_ahead():
    """Beat, every minute: keep the ranking of each call in evaluation that its next preview
    would rank afresh (see evaluation.selection_runs.rank_ahead)."""
    from .selection_runs import rank_ahead as rank

    return rank()
