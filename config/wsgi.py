import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()


def warm_up():
    """Load in each server process, at its start, what its first submission would otherwise load
    mid-request: the Celery app's tasks and the broker's transport with its client library
    (kombu's Redis transport and redis-py, also the cache's client: about 0.1 s of CPU). In a
    deadline burst right after a deploy, every process paid that inside a request. Connects to
    nothing: a broker that is down is met by the request, as before."""
    from django.conf import settings

    from config.celery import app

    app.finalize(auto=True)
    if settings.CELERY_BROKER_URL:
        with app.connection_for_write() as connection:
            connection.transport  # noqa: B018 - built, not connected: imports its module


warm_up()
