from celery import shared_task


# acks_late + reject_on_worker_lost: when the process building a workbook dies (killed, out of
# memory), the message goes back to the queue and another worker builds the job again, at most
# exports.MAX_BUILD_ATTEMPTS times; a job whose whole worker vanished is redelivered after the
# broker's visibility timeout, or marked failed by sweep_stale_exports first.
@shared_task(acks_late=True, reject_on_worker_lost=True, max_retries=2)
def build_export(job_id):
    from .exports import build

    build(job_id)
    return job_id


@shared_task
def sweep_stale_exports():
    """Beat, every 5 minutes: export jobs whose build died become failed (see exports.py)."""
    from .exports import sweep_stale_jobs

    return sweep_stale_jobs()


@shared_task
def prune_access_log():
    """Beat, daily: access-log entries older than ACCESS_LOG_RETENTION_DAYS are deleted."""
    from .access import prune_access_log as prune

    return prune()
