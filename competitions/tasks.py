from celery import shared_task


@shared_task
def close_ended_receptions():
    """Beat, every minute: calls whose reception window has ended move into evaluation."""
    from .lifecycle import close_ended_receptions as close

    return close()


# acks_late + reject_on_worker_lost: when the worker importing a file dies, its transaction
# wrote nothing and the message goes back to the queue; the next delivery imports the file again
# (at most import_jobs.MAX_ATTEMPTS starts; one still being imported elsewhere is left alone).
@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_import(job_id):
    """A staff import confirmed in the admin, too big to be written in the request."""
    from .import_jobs import run

    run(job_id)
    return job_id


# The dry run writes nothing, so a redelivered check simply checks the file again.
@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_preview(job_id):
    """A staff import too big to be previewed in the request: every row checked, none written."""
    from .import_jobs import run_preview as check

    check(job_id)
    return job_id


@shared_task
def sweep_stale_imports():
    """Beat, every 5 minutes: import jobs no worker took, or whose worker died, become failed;
    previews never confirmed within IMPORT_PREVIEW_TTL_HOURS expire (their uploads deleted)."""
    from .import_jobs import expire_previews, sweep_stale_jobs

    return {"failed": sweep_stale_jobs(), "expired": expire_previews()}
