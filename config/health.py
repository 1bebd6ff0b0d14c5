"""/healthz: the database must answer (else 503); the broker's state is reported, never
required (requests do not depend on it: e-mail waits in the outbox)."""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse


def healthz(request):
    report = {"database": "ok", "broker": "eager" if settings.CELERY_TASK_ALWAYS_EAGER else "unknown"}
    status = 200
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any database failure makes the instance unhealthy
        report["database"] = f"error: {exc.__class__.__name__}"
        status = 503
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        try:
            from config.celery import app

            with app.connection_for_write() as conn:
                conn.ensure_connection(max_retries=1, timeout=1)
            report["broker"] = "ok"
        except Exception as exc:  # noqa: BLE001 - reported, not fatal
            report["broker"] = f"down: {exc.__class__.__name__}"
    return JsonResponse(report, status=status)
