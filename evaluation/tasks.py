from celery import shared_task


@shared_task
def remind_reviewers():
    """Beat, hourly: reviews due soon or late (see evaluation.reviewing.remind_reviewers)."""
    from .reviewing import remind_reviewers as remind

    return remind()


@shared_task
def rank_ahead(call_ids=None):
    """Beat, every minute: keep the ranking of each call in evaluation (of ``call_ids`` only,
    when given: after a plan's change) that its next preview would rank afresh (see
    evaluation.selection_runs.rank_ahead)."""
    from competitions.models import Call

    from .selection_runs import rank_ahead as rank

    return rank(None if call_ids is None else Call.objects.filter(pk__in=call_ids))
