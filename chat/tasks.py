"""Chat background work. A leaf: each task calls one function; requests are queued by name
(vigil.queue.enqueue("chat.tasks.run", ...))."""

from celery import shared_task

from .slack import dispatch, picking
from .slack.client import retry_delay


@shared_task(name="chat.tasks.run")
def run(kind: str, payload: dict) -> None:
    """Do what a Slack user asked (a command, a button, a modal, an event), then reply to them."""
    dispatch.run(kind, payload)


@shared_task(name="chat.tasks.reply", bind=True, max_retries=5)
def reply(self, response_url: str, message: dict) -> None:
    """Answer a button press at its response_url (the answer to the press itself is ignored by Slack)."""
    _retrying(self, picking.reply, response_url, message)


@shared_task(name="chat.tasks.tell", bind=True, max_retries=8)
def tell(self, channel: str, text: str) -> None:
    """Say TEXT in CHANNEL (or to a user, in the app's DM): what a modal's submission did."""
    _retrying(self, picking.tell, channel, text)


def _retrying(task, function, *args) -> None:
    try:
        function(*args)
    except Exception as exc:
        delay = retry_delay(exc, task.request.retries)
        if delay is None:
            raise
        raise task.retry(countdown=delay, exc=exc) from exc
