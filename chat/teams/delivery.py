"""Posting the cards (chat.teams explains the choice): a task per card, retried later on failure."""

import logging

from django.conf import settings

from incidents.models import Incident, Page
from vigil import http
from vigil.queue import enqueue

from .cards import incident_card

logger = logging.getLogger(__name__)

USER_AGENT = "Vigil-Teams/1"


class Refused(Exception):
    """The receiver said no for good (a 4xx other than 408/429, or a URL the address rule refuses)."""


class TryLater(Exception):
    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.retry_after = retry_after


def post(url: str, payload: dict) -> int:
    """POST PAYLOAD to URL through vigil.http. Raises Refused, TryLater; returns the status."""
    try:
        response = http.request("POST", url, json=payload, user_agent=USER_AGENT)
    except http.RefusedURL as exc:
        raise Refused(str(exc)) from None
    except OSError as exc:
        raise TryLater(f"{type(exc).__name__}: {exc}") from None
    status = response.status_code
    if status in (408, 429) or status >= 500:
        raise TryLater(f"HTTP {status}", http.parse_retry_after(response.headers.get("Retry-After")))
    if status >= 300:
        raise Refused(f"HTTP {status}: {response.text[:200]}")
    return status


def backoff(attempt: int, retry_after: float | None) -> float:
    """2 s doubling to 10 minutes, never sooner than the receiver's Retry-After."""
    return max(min(600.0, 2.0 * 2**attempt), retry_after or 0.0)


def post_or_retry(task, payload: dict) -> int:
    """chat.tasks.post_teams_card. The URL is read now (a changed setting takes effect on the retry)."""
    url = settings.TEAMS_WORKFLOW_URL
    if not url:
        return 0
    try:
        return post(url, payload)
    except Refused as exc:
        logger.warning("Teams refused a card for good: %s", exc)
        return 0
    except TryLater as exc:
        logger.info("Teams card not delivered (%s); trying again", exc)
        raise task.retry(countdown=backoff(task.request.retries, exc.retry_after), exc=exc) from None


def queue_card(incident: Incident, event: str, page: Page | None = None) -> None:
    if settings.TEAMS_WORKFLOW_URL:
        enqueue("chat.tasks.post_teams_card", incident_card(incident, event, page), robust=True)


def _receiver(event: str):
    def receive(sender, incident, **kwargs) -> None:
        queue_card(incident, event)

    return receive


def on_page(sender, page, **kwargs) -> None:
    queue_card(page.incident, "page", page)


RECEIVERS = {name: _receiver(name) for name in ("declared", "acknowledged", "resolved", "update")}


def connect() -> None:
    from incidents import signals

    signals.incident_declared.connect(RECEIVERS["declared"], dispatch_uid="chat.teams.declared")
    signals.incident_acknowledged.connect(RECEIVERS["acknowledged"], dispatch_uid="chat.teams.acknowledged")
    signals.incident_resolved.connect(RECEIVERS["resolved"], dispatch_uid="chat.teams.resolved")
    signals.incident_update_posted.connect(RECEIVERS["update"], dispatch_uid="chat.teams.update")
    signals.page_requested.connect(on_page, dispatch_uid="chat.teams.page")
