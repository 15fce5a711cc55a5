"""Chat background work. A leaf: each task calls one function; requests are queued by name
(vigil.queue.enqueue("chat.tasks.run", ...))."""

from celery import shared_task

from . import teams
from .slack import dispatch, pages


@shared_task(name="chat.tasks.run")
def run(kind: str, payload: dict) -> None:
    """Do what a Slack user asked (a command, a button, a modal, an event), then reply to them."""
    dispatch.run(kind, payload)


@shared_task(name="chat.tasks.refresh_page_dms", bind=True, max_retries=8, acks_late=True)
def refresh_page_dms(self, incident_id: int) -> int:
    """Edit an answered incident's page DMs to say who acknowledged (retried later when Slack fails)."""
    return pages.refresh_or_retry(self, incident_id)


@shared_task(name="chat.tasks.post_teams_card", bind=True, max_retries=12, acks_late=True)
def post_teams_card(self, payload: dict) -> int:
    """Post one Adaptive Card to the Teams Workflows webhook (retried later when it fails)."""
    return teams.post_or_retry(self, payload)
