"""Chat background work. A leaf: each task calls one function; requests are queued by name
(vigil.queue.enqueue("chat.tasks.run", ...))."""

from celery import shared_task

from .slack import dispatch


@shared_task(name="chat.tasks.run")
def run(kind: str, payload: dict) -> None:
    """Do what a Slack user asked (a command, a button, a modal, an event), then reply to them."""
    dispatch.run(kind, payload)
