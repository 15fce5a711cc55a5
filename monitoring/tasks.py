"""Celery tasks of the monitoring app: the dispatcher (beat, every second) and probe batches.

A leaf: each task wraps one function of monitoring.dispatch or monitoring.batches, and nothing
imports this module to queue work (vigil.queue.enqueue sends by name).
"""

from celery import shared_task

from . import agent_health, batches
from . import dispatch as dispatcher


@shared_task(name="monitoring.tasks.dispatch", ignore_result=True, expires=5)
def dispatch() -> dict:
    """Hand out every due monitor. Beat runs this every second; two beats may run it at once."""
    return dispatcher.run()


@shared_task(name="monitoring.tasks.run_checks", ignore_result=True)
def run_checks(payload: dict) -> int:
    """Probe one batch of monitors (monitoring.batches.run_batch); a batch older than the lease is dropped."""
    return batches.run_batch(payload)


@shared_task(name="monitoring.tasks.run_browser_checks", ignore_result=True)
def run_browser_checks(payload: dict) -> int:
    """Run one batch of browser checks, on the browser queue (monitoring.dispatch.send_batch)."""
    return batches.run_batch(payload)


@shared_task(name="monitoring.tasks.watch_agents", ignore_result=True, expires=30)
def watch_agents() -> dict:
    """Open or resolve the incidents of silent probe agents (monitoring.agent_health)."""
    return agent_health.watch()
