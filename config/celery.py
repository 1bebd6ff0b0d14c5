"""Celery application.

With CELERY_BROKER_URL unset (the embedded default) tasks run eagerly, in process;
settings.py decides that. Tasks are enqueued with ``task.delay_on_commit(...)`` so a task
never runs for a transaction that rolled back.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("gongmo")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
