from celery import shared_task

from . import escalation
from .integrations import changes
from .integrations.buffer import flush_repeats


@shared_task(name="incidents.tasks.escalate", acks_late=True)
def escalate(incident_id: int, escalation_id: str, step: int) -> bool:
    """Run one escalation step. Exits harmlessly when stale or already done."""
    return escalation.run_queued_step(incident_id, escalation_id, step)


@shared_task(name="incidents.tasks.escalate_due")
def escalate_due() -> int:
    """Beat runs this every 15 s: the safety net for a lost or late escalation task."""
    return escalation.run_due()


@shared_task(name="incidents.tasks.flush_alert_repeats")
def flush_alert_repeats() -> int:
    """Beat runs this every 5 s: repeats of known alerts buffered in Redis into their rows."""
    return flush_repeats().added


@shared_task(name="incidents.tasks.purge_change_events")
def purge_change_events() -> int:
    """Hourly: delete change events older than VIGIL_CHANGE_RETENTION_DAYS."""
    return changes.purge()
