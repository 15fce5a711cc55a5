"""Comms background work. Every task is safe to repeat: rows are claimed, never assumed."""

import logging

from celery import shared_task
from django.conf import settings
from django.db import transaction

from . import cadence, messages, notices, outbox

logger = logging.getLogger(__name__)


def _parallel() -> int:
    return max(1, int(getattr(settings, "VIGIL_COMMS_PARALLEL_SENDS", 2)))


def queue_sends(kinds) -> None:
    """Queue enough send tasks for each channel kind; extra ones find nothing to claim and exit.

    Never raises: the rows are written before this is called, and beat's sweep sends them if the
    broker cannot be reached now, so a broker outage must not fail what wrote them.
    """
    try:
        for kind in kinds:
            for _ in range(_parallel()):
                send.apply_async(args=[kind], expires=60)
    except Exception:
        logger.exception("Could not queue sends for %s; the sweeper will", ", ".join(kinds))


@shared_task(name="comms.tasks.fan_out")
def fan_out(update_id: int) -> int:
    """Write the outbox rows of a public update, then queue their sending."""
    # One transaction: a row whose template names recipient_name gets its own words before
    # any sender can see it.
    with transaction.atomic():
        kinds = outbox.plan_update(update_id)
        if kinds:
            messages.personalise_update(update_id)
    queue_sends(kinds)
    return len(kinds)


@shared_task(name="comms.tasks.plan_notice")
def plan_notice(notice_id: int) -> int:
    """Write the outbox rows of a maintenance notice to subscribers, then queue their sending."""
    kinds = notices.plan(notice_id)
    queue_sends(kinds)
    return len(kinds)


@shared_task(name="comms.tasks.send")
def send(kind: str) -> int:
    """Send due rows of one channel for a while; queue a follow-up when rows remain due."""
    handled = outbox.send_due(kind)
    if handled and kind in outbox.due_channels():
        send.apply_async(args=[kind], expires=60)
    return handled


@shared_task(name="comms.tasks.kick")
def kick() -> int:
    """Queue sends for every channel with due rows (after a retry by hand, a delayed page rule)."""
    kinds = outbox.due_channels()
    queue_sends(kinds)
    return len(kinds)


@shared_task(name="comms.tasks.sweep")
def sweep() -> int:
    """Beat runs this every 10 s: take back stalled rows, plan lost fan-outs and maintenance notices,
    send what is due (retries)."""
    outbox.requeue_stalled()
    for update_id in outbox.unplanned_updates():
        fan_out.delay(update_id)
    for notice_id in notices.unplanned():
        plan_notice.delay(notice_id)
    return kick()


@shared_task(name="comms.tasks.remind_updates")
def remind_updates() -> int:
    """Beat runs this every minute: remind the commander of each open SEV1/SEV2 incident whose
    public update is overdue, once per overdue period (comms.cadence)."""
    return cadence.remind_updates()
