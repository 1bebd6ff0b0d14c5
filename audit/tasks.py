from celery import shared_task


@shared_task(acks_late=True, max_retries=2)
def build_export(job_id):
    from .exports import build

    build(job_id)
    return job_id
