from celery import shared_task

from . import broker
from .services import do_record_heartbeat


@shared_task(name="vigil.tasks.record_heartbeat")
def record_heartbeat(hostname: str | None = None) -> int:
    """Scheduled by beat every 30 s: proves beat, broker and a worker all run."""
    return do_record_heartbeat(hostname).beats


@shared_task(name="vigil.tasks.purge_embedded_broker")
def purge_embedded_broker() -> int:
    """Hourly: delete the messages workers took from the embedded broker (kombu keeps them). 0 on Redis."""
    path = broker.embedded_path()
    return broker.purge_taken(path) if path else 0
