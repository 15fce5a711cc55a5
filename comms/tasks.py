"""Comms background work. A leaf: each task calls one function (comms.pipeline, comms.cadence,
comms.status.subscribers), and nothing imports this module to queue work (vigil.queue.enqueue and
comms.queueing send by name).

Two lanes (comms.outbox): `send` sends the bulk lane on the comms queue, `send_pages` the page
lane on the pages queue, each with its own sweeper (`sweep`, `sweep_pages`), so a page never
waits for a worker busy with fan-out. Time limits: CELERY_TASK_ANNOTATIONS and the defaults in
settings; a send stopped by its soft limit puts back what it holds (comms.outbox.deliver).
"""

from celery import shared_task

from . import cadence, outbox, pipeline
from .status.subscribers import webhook_challenge


@shared_task(name="comms.tasks.fan_out")
def fan_out(update_id: int) -> int:
    """Write the outbox rows of a public update, then queue their sending."""
    return pipeline.fan_out(update_id)


@shared_task(name="comms.tasks.plan_notice")
def plan_notice(notice_id: int) -> int:
    """Write the outbox rows of a maintenance notice to subscribers, then queue their sending."""
    return pipeline.plan_notice(notice_id)


@shared_task(name="comms.tasks.send")
def send(kind: str) -> int:
    """The bulk lane (comms queue): public updates, subscribers, notices, digests, reminders."""
    return pipeline.send_lane(kind, outbox.BULK_LANE)


@shared_task(name="comms.tasks.send_pages")
def send_pages(kind: str) -> int:
    """The page lane (pages queue): only rows that deliver a page, never behind bulk work."""
    return pipeline.send_lane(kind, outbox.PAGE_LANE)


@shared_task(name="comms.tasks.kick")
def kick() -> int:
    """Queue sends of both lanes for every channel with due rows (after a retry by hand)."""
    return pipeline.kick()


@shared_task(name="comms.tasks.sweep")
def sweep() -> int:
    """Beat runs this every 10 s: take back stalled rows, plan lost fan-outs and maintenance notices,
    send what is due (retries) in both lanes."""
    return pipeline.sweep()


@shared_task(name="comms.tasks.sweep_pages")
def sweep_pages() -> int:
    """Beat runs this every 5 s on the pages queue: the page lane's stalled rows, retries and delayed
    rules, with a lease of the send task's hard time limit (comms.pipeline.sweep_pages)."""
    return pipeline.sweep_pages()


@shared_task(name="comms.tasks.remind_updates")
def remind_updates() -> int:
    """Beat runs this every minute: remind the commander of each open SEV1/SEV2 incident whose
    public update is overdue, once per overdue period (comms.cadence)."""
    return cadence.remind_updates()


@shared_task(name="comms.tasks.verify_webhook_subscriber")
def verify_webhook_subscriber(subscriber_id: int) -> bool:
    """A new webhook subscriber's verification request, off the anonymous web request (issue #14): confirmed
    only if its receiver echoes the challenge (comms.status.subscribers.webhook_challenge.do_verify_webhook)."""
    return webhook_challenge.do_verify_webhook(subscriber_id)
