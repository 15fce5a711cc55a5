import smtplib

from celery import shared_task

from . import notices, services


@shared_task
def remind_reviews() -> int:
    """Hourly (beat): announce plans whose review is due soon or overdue (once per due date; safe to repeat)."""
    return services.send_review_reminders()


# A mail server that is down or refuses for now (SMTP 4xx) is tried again with back-off, up to a day.
@shared_task(autoretry_for=(smtplib.SMTPException, OSError), retry_backoff=60, retry_backoff_max=3600, max_retries=24)
def send_notice(kind: str, *args, **kwargs) -> int:
    """Mail one DR notice (dr_plans.notices). It re-reads its rows, so a drill cancelled meanwhile sends nothing."""
    return notices.send(kind, *args, **kwargs)
