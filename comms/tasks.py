"""Comms background work. Every task is safe to repeat: rows are claimed, never assumed.

Two lanes (comms.outbox): `send` sends the bulk lane on the comms queue, `send_pages` the page
lane on the pages queue, each with its own sweeper (`sweep`, `sweep_pages`), so a page never
waits for a worker busy with fan-out. Time limits: CELERY_TASK_ANNOTATIONS and the defaults in
settings; a send stopped by its soft limit puts back what it holds (comms.outbox.deliver).
"""

import logging

from celery import shared_task
from django.conf import settings
from django.db import transaction

from . import cadence, messages, notices, outbox

logger = logging.getLogger(__name__)


def _parallel() -> int:
    return max(1, settings.VIGIL_COMMS_PARALLEL_SENDS)


def queue_sends(kinds) -> None:
    """Queue enough bulk-lane send tasks for each channel kind; extra ones find nothing to claim and exit.

    Never raises: the rows are written before this is called, and beat's sweep sends them if the
    broker cannot be reached now, so a broker outage must not fail what wrote them.
    """
    _queue(send, kinds, _parallel())


def queue_page_sends(kinds) -> None:
    """Queue a page-lane send task for each channel kind (pages are few: one task sends them all).
    Never raises, as queue_sends: comms.tasks.sweep_pages sends them if the broker is down now."""
    _queue(send_pages, kinds, 1)


def _queue(task, kinds, copies: int) -> None:
    try:
        for kind in kinds:
            for _ in range(copies):
                task.apply_async(args=[kind], expires=60)
    except Exception:
        logger.exception("Could not queue %s for %s; the sweeper will", task.name, ", ".join(kinds))


def _queue_lane(kinds, lane: str) -> None:
    (queue_page_sends if lane == outbox.PAGE_LANE else queue_sends)(kinds)


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


def _send_lane(kind: str, lane: str) -> int:
    """Send due rows of one channel in LANE for a while; queue a follow-up when rows remain due."""
    handled = outbox.send_due(kind, lane=lane)
    if handled and kind in outbox.due_channels(lane=lane):
        _queue_lane([kind], lane)
    return handled


@shared_task(name="comms.tasks.send")
def send(kind: str) -> int:
    """The bulk lane (comms queue): public updates, subscribers, notices, digests, reminders."""
    return _send_lane(kind, outbox.BULK_LANE)


@shared_task(name="comms.tasks.send_pages")
def send_pages(kind: str) -> int:
    """The page lane (pages queue): only rows that deliver a page, never behind bulk work."""
    return _send_lane(kind, outbox.PAGE_LANE)


def _kick_lane(lane: str) -> int:
    kinds = outbox.due_channels(lane=lane)
    _queue_lane(kinds, lane)
    return len(kinds)


@shared_task(name="comms.tasks.kick")
def kick() -> int:
    """Queue sends of both lanes for every channel with due rows (after a retry by hand)."""
    return _kick_lane(outbox.PAGE_LANE) + _kick_lane(outbox.BULK_LANE)


@shared_task(name="comms.tasks.sweep")
def sweep() -> int:
    """Beat runs this every 10 s: take back stalled rows, plan lost fan-outs and maintenance notices,
    send what is due (retries) in both lanes."""
    outbox.requeue_stalled()
    for update_id in outbox.unplanned_updates():
        fan_out.delay(update_id)
    for notice_id in notices.unplanned():
        plan_notice.delay(notice_id)
    return kick()


@shared_task(name="comms.tasks.sweep_pages")
def sweep_pages() -> int:
    """Beat runs this every 5 s on the pages queue: the page lane's stalled rows, retries and delayed
    rules, sent even while every comms worker is busy (and `sweep` with it).

    A page row is taken back once no send_pages task can still be holding it (its hard time
    limit, plus a margin), not after the bulk lane's long lease: a page lost with a killed
    worker goes out again within a minute, at the risk of a second copy of that one page.
    """
    lease = min(settings.VIGIL_COMMS_SENDING_LEASE, (send_pages.time_limit or settings.CELERY_TASK_TIME_LIMIT) + 15)
    outbox.requeue_stalled(lane=outbox.PAGE_LANE, lease=lease)
    return _kick_lane(outbox.PAGE_LANE)


@shared_task(name="comms.tasks.remind_updates")
def remind_updates() -> int:
    """Beat runs this every minute: remind the commander of each open SEV1/SEV2 incident whose
    public update is overdue, once per overdue period (comms.cadence)."""
    return cadence.remind_updates()


@shared_task(name="comms.tasks.verify_webhook_subscriber")
def verify_webhook_subscriber(subscriber_id: int) -> bool:
    """A new webhook subscriber's verification request, off the anonymous web request (issue #14):
    confirmed only if its receiver echoes the challenge (comms.subscriptions.do_verify_webhook)."""
    from . import subscriptions  # subscriptions imports this module's tasks lazily; keep it that way

    return subscriptions.do_verify_webhook(subscriber_id)
