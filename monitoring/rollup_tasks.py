"""Beat-driven upkeep of the rollups: rolling recent hours and days up, and purging old raw results.

Both are safe to repeat and to run twice at once (two beat processes): rollups are upserts of
the same figures, and a purge deletes only what is past the retention window.
"""

from celery import shared_task
from django.utils import timezone

from . import rollups


@shared_task(name="monitoring.rollup_tasks.roll_up")
def roll_up() -> int:
    """Every 5 minutes: roll the hours (and days) touched since the last run."""
    return rollups.roll_up(timezone.now())


@shared_task(name="monitoring.rollup_tasks.purge")
def purge() -> int:
    """Hourly: delete raw results older than VIGIL_RESULT_RETENTION_DAYS."""
    return rollups.purge(timezone.now())
