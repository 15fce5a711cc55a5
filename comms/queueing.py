"""Queueing the outbox's send tasks by name (vigil.queue), for any module that wrote rows to send.

Enough bulk-lane tasks (comms.tasks.send) per channel kind; one page-lane task
(comms.tasks.send_pages), since pages are few. Extra tasks find nothing to claim and exit.
Never raises: the rows are written before this is called, and the lane's sweeper sends them if
the broker cannot be reached now, so a broker outage must not fail what wrote them.
"""

import logging

from django.conf import settings

from vigil.queue import enqueue

logger = logging.getLogger(__name__)


def queue_sends(kinds) -> None:
    """Queue bulk-lane send tasks for each channel kind (VIGIL_COMMS_PARALLEL_SENDS of each)."""
    _queue("comms.tasks.send", kinds, max(1, settings.VIGIL_COMMS_PARALLEL_SENDS))


def queue_page_sends(kinds) -> None:
    """Queue a page-lane send task for each channel kind; comms.tasks.sweep_pages sends them if the broker
    is down now."""
    _queue("comms.tasks.send_pages", kinds, 1)


def _queue(name: str, kinds, copies: int) -> None:
    # At once (the caller queues after its commit) and the first failure ends the loop: a broker that
    # is down costs one timeout and one log line, not one per task.
    try:
        for kind in kinds:
            for _ in range(copies):
                enqueue(name, kind, on_commit=False, expires=60)
    except Exception:
        logger.exception("Could not queue %s for %s; the sweeper will", name, ", ".join(kinds))
