"""The status page's background work, on the default queue.

Beat entries (CELERY_BEAT_SCHEDULE) these expect:
    "status-page-rebuild": {"task": "comms.status.tasks.rebuild_status_page", "schedule": 60.0,
                            "options": {"expires": 60}},
    "status-maintenance-advance": {"task": "comms.status.tasks.advance_maintenances", "schedule": 15.0,
                                   "options": {"expires": 15}},
and the route "comms.status.tasks.*": {"queue": "default"} in CELERY_TASK_ROUTES.
"""

import logging

from celery import shared_task

from . import services, snapshot

logger = logging.getLogger(__name__)


@shared_task(name="comms.status.tasks.rebuild_status_page", queue="default")
def rebuild_status_page() -> str:
    """Render every public document into a new snapshot: beat's minute (the uptime bars move), and what a
    process that could not build a change itself handed on (comms.status.triggers). Safe to repeat:
    the newest snapshot wins."""
    return snapshot.rebuild().version


@shared_task(name="comms.status.tasks.advance_maintenances", queue="default")
def advance_maintenances() -> int:
    """Start due maintenances and complete ended ones (their saves queue a rebuild); note the
    reminders subscribers get an hour before a maintenance starts (comms.status.subscribers.notices)."""
    from .subscribers import notices

    return services.advance_due() + notices.remind_due()
