"""The Slack Web API client, and what to do when a call fails.

Calls are made from Celery tasks, never while Slack waits for an answer (except views.open, whose
trigger_id expires 3 s after the user's click). slack_sdk's own retry handlers would sleep inside the
worker; instead a failed call raises, and the task is retried later by Celery (retry_delay), so a Slack
that is down or rate-limiting holds no worker and nothing in Vigil waits for it.
"""

from django.conf import settings
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

# Errors worth another try: Slack said so (rate limits, its own trouble) or said nothing conclusive.
TRANSIENT_ERRORS = {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}


def enabled() -> bool:
    """Is the Slack app configured (a bot token and a signing secret)?"""
    return bool(settings.SLACK_BOT_TOKEN and settings.SLACK_SIGNING_SECRET)


def web_client() -> WebClient:
    return WebClient(
        token=settings.SLACK_BOT_TOKEN,
        base_url=settings.SLACK_API_URL,
        timeout=settings.VIGIL_SLACK_TIMEOUT,
        retry_handlers=[],  # no sleeping in the worker: the task is retried instead (retry_delay)
    )


def error_code(exc: Exception) -> str:
    """Slack's error code ("channel_not_found"), or the exception's class for a network failure."""
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error") or f"http_{exc.response.status_code}")
    return type(exc).__name__


def retry_delay(exc: Exception, attempt: int) -> float | None:
    """Seconds before trying a failed call again (Slack's Retry-After when it gave one, else an
    exponential back-off from 2 s up to 5 minutes), or None when another try cannot help."""
    backoff = min(300.0, 2.0 * 2**attempt)
    if isinstance(exc, SlackApiError):
        status = exc.response.status_code
        if exc.response.get("error") in TRANSIENT_ERRORS or status == 429 or status >= 500:
            retry_after = exc.response.headers.get("Retry-After") or exc.response.headers.get("retry-after")
            try:
                return max(1.0, float(retry_after)) if retry_after else backoff
            except (TypeError, ValueError):
                return backoff
        return None
    if isinstance(exc, OSError):  # urllib's URLError, timeouts, refused connections
        return backoff
    return None


def retry_later(task, exc: Exception) -> None:
    """Raise TASK's retry after retry_delay(EXC); return when another try cannot help (the caller decides
    what a failure for good means: log it, or raise it)."""
    delay = retry_delay(exc, task.request.retries)
    if delay is not None:
        raise task.retry(countdown=delay, exc=exc) from None
