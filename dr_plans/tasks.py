from celery import shared_task

from . import services


@shared_task
def remind_reviews() -> int:
    """Daily: announce plans whose review is due soon or overdue (once per due date; safe to repeat)."""
    return services.send_review_reminders()
