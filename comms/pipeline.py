"""What the comms tasks do: plan an update's or a notice's rows, then send each lane's due rows.

Every step is safe to repeat: rows are claimed, never assumed (comms.outbox). Two lanes: the
bulk lane is sent by comms.tasks.send on the comms queue, the page lane by comms.tasks.send_pages
on the pages queue, each with its own sweeper (sweep, sweep_pages), so a page never waits for a
worker busy with fan-out. The tasks (comms.tasks) only call these functions.
"""

from django.conf import settings
from django.db import transaction

from vigil.queue import enqueue, task

from . import messages, outbox, queueing
from .status.subscribers import notices


def fan_out(update_id: int) -> int:
    """Write the outbox rows of a public update, then queue their sending."""
    # One transaction: a row whose template names recipient_name gets its own words before
    # any sender can see it.
    with transaction.atomic():
        kinds = outbox.plan_update(update_id)
        if kinds:
            messages.personalise_update(update_id)
    queueing.queue_sends(kinds)
    return len(kinds)


def plan_notice(notice_id: int) -> int:
    """Write the outbox rows of a maintenance notice to subscribers, then queue their sending."""
    kinds = notices.plan(notice_id)
    queueing.queue_sends(kinds)
    return len(kinds)


def _queue_lane(kinds, lane: str) -> None:
    (queueing.queue_page_sends if lane == outbox.PAGE_LANE else queueing.queue_sends)(kinds)


def send_lane(kind: str, lane: str) -> int:
    """Send due rows of one channel in LANE for a while; queue a follow-up when rows remain due."""
    handled = outbox.send_due(kind, lane=lane)
    if handled and kind in outbox.due_channels(lane=lane):
        _queue_lane([kind], lane)
    return handled


def kick_lane(lane: str) -> int:
    kinds = outbox.due_channels(lane=lane)
    _queue_lane(kinds, lane)
    return len(kinds)


def kick() -> int:
    """Queue sends of both lanes for every channel with due rows (after a retry by hand)."""
    return kick_lane(outbox.PAGE_LANE) + kick_lane(outbox.BULK_LANE)


def sweep() -> int:
    """Take back stalled rows, plan lost fan-outs and maintenance notices, send what is due (retries)
    in both lanes."""
    outbox.requeue_stalled()
    for update_id in outbox.unplanned_updates():
        enqueue("comms.tasks.fan_out", update_id, on_commit=False)
    for notice_id in notices.unplanned():
        enqueue("comms.tasks.plan_notice", notice_id, on_commit=False)
    return kick()


def sweep_pages() -> int:
    """The page lane's stalled rows, retries and delayed rules, sent even while every comms worker is
    busy (and `sweep` with it).

    A page row is taken back once no send_pages task can still be holding it (its hard time
    limit, plus a margin), not after the bulk lane's long lease: a page lost with a killed
    worker goes out again within a minute, at the risk of a second copy of that one page.
    """
    time_limit = task("comms.tasks.send_pages").time_limit or settings.CELERY_TASK_TIME_LIMIT
    lease = min(settings.VIGIL_COMMS_SENDING_LEASE, time_limit + 15)
    outbox.requeue_stalled(lane=outbox.PAGE_LANE, lease=lease)
    return kick_lane(outbox.PAGE_LANE)
