from celery import shared_task

from . import digest, services


@shared_task
def remind_action_items() -> int:
    """Hourly (beat): mail owners of action items due soon or overdue (postmortems.reminders; safe to repeat)."""
    return services.send_action_item_reminders()


@shared_task
def send_report_digests() -> int:
    """Hourly (beat): send each digest whose last complete week or month is not sent yet (safe to repeat)."""
    return digest.send_due_digests()
