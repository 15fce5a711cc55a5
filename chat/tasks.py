"""Chat background work. A leaf: each task calls one function; requests are queued by name
(vigil.queue.enqueue("chat.tasks.run", ...))."""

from celery import shared_task

from .slack import channels, dispatch


@shared_task(name="chat.tasks.run")
def run(kind: str, payload: dict) -> None:
    """Do what a Slack user asked (a command, a button, a modal, an event), then reply to them."""
    dispatch.run(kind, payload)


@shared_task(name="chat.tasks.set_up_channel", bind=True)
def set_up_channel(self, incident_id: int, declarer_id: int | None = None) -> None:
    """Create an incident's channel, invite its people, bookmark its links, post and pin its card."""
    channels.run_with_retries(self, channels.set_up, incident_id, declarer_id)


@shared_task(name="chat.tasks.refresh_card", bind=True)
def refresh_card(self, incident_id: int) -> None:
    """Edit an incident's card when what it shows changed; invite anyone newly paged."""
    channels.run_with_retries(self, channels.refresh, incident_id)


@shared_task(name="chat.tasks.archive_channels")
def archive_channels() -> int:
    """Archive the channels of incidents resolved long enough ago (beat, every 10 minutes)."""
    return channels.archive_due()
