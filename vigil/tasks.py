from celery import shared_task

from .services import do_record_heartbeat


@shared_task(name="vigil.tasks.record_heartbeat")
def record_heartbeat(hostname: str | None = None) -> int:
    """Scheduled by beat every 30 s: proves beat, broker and a worker all run."""
    return do_record_heartbeat(hostname).beats
