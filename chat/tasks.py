"""Chat background work. A leaf: each task calls one function; requests are queued by name
(vigil.queue.enqueue("chat.tasks.run", ...))."""

from celery import shared_task

from . import teams
from .slack import channels, dispatch, pages, picking
from .slack.client import retry_later


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
        retry_later(task, exc)
        raise


@shared_task(name="chat.tasks.refresh_page_dms", bind=True, max_retries=8, acks_late=True)
def refresh_page_dms(self, incident_id: int) -> int:
    """Edit an answered incident's page DMs to say who acknowledged (retried later when Slack fails)."""
    return pages.refresh_or_retry(self, incident_id)


@shared_task(name="chat.tasks.post_teams_card", bind=True, max_retries=12, acks_late=True)
def post_teams_card(self, payload: dict) -> int:
    """Post one Adaptive Card to the Teams Workflows webhook (retried later when it fails)."""
    return teams.post_or_retry(self, payload)
