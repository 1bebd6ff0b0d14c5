from celery import shared_task


@shared_task
def send_outbox():
    from .outbox import send_pending

    return send_pending()
