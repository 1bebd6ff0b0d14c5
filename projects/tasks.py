from celery import shared_task


@shared_task
def send_outbox():
    from .outbox import send_pending

    return send_pending()


@shared_task
def remind_due_reports():
    from .reports import remind_due_reports as remind

    return remind()
