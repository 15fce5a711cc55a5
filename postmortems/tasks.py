from celery import shared_task

from . import services


@shared_task
def remind_action_items() -> int:
    """Hourly (beat): mail owners of action items due soon or overdue (postmortems.reminders; safe to repeat)."""
    return services.send_action_item_reminders()


# The report digests' beat task lives beside its logic; imported here so Celery's autodiscovery finds it.
from .digest_tasks import send_report_digests  # noqa: E402, F401
