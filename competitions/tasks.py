from celery import shared_task


@shared_task
def close_ended_receptions():
    """Beat, every minute: calls whose reception window has ended move into evaluation."""
    from .lifecycle import close_ended_receptions as close

    return close()
