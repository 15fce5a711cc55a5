from celery import shared_task

from . import notices, services


@shared_task
def remind_reviews() -> int:
    """Hourly (beat): announce plans whose review is due soon or overdue (once per due date; safe to repeat)."""
    return services.send_review_reminders()


@shared_task
def send_notice(kind: str, *args, **kwargs) -> int:
    """Queue one DR notice in the comms outbox (dr_plans.notices), which sends and retries it. It re-reads
    its rows, so a drill cancelled meanwhile sends nothing."""
    return notices.send(kind, *args, **kwargs)
