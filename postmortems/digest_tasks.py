"""Beat's task for the scheduled report digests (postmortems.digest). Imported by postmortems.tasks."""

from celery import shared_task

from . import digest


# Named under postmortems.tasks: the module Celery discovers, and the route ("postmortems.tasks.*") it takes.
@shared_task(name="postmortems.tasks.send_report_digests")
def send_report_digests() -> int:
    """Hourly (beat): send each digest whose last complete week or month is not sent yet (safe to repeat)."""
    return digest.send_due_digests()
