from celery import shared_task


@shared_task
def close_ended_receptions():
    """Beat, every minute: calls whose reception window has ended move into evaluation."""
    from .lifecycle import close_ended_receptions as close

    return close()


# acks_late: a worker that dies mid-import rolls its transaction back; the redelivered message
# finds the job running, not waiting, and leaves it (import_jobs.run starts only waiting jobs).
@shared_task(acks_late=True)
def run_import(job_id):
    """A staff import confirmed in the admin, too big to be written in the request."""
    from .import_jobs import run

    run(job_id)
    return job_id
