"""Outgoing webhooks: a JSON POST signed with HMAC-SHA256.

Each request carries
  Content-Type: application/json
  X-Vigil-Event: incident.update (the payload's "event": maintenance.started, subscription.confirmed...)
  X-Vigil-Delivery: <outbox row id>   (the same on every retry: receivers dedupe on it; "verify-..." for
                                       a subscriber's verification request, comms.status.subscribers)
  X-Vigil-Timestamp: <unix seconds>
  X-Vigil-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>" keyed with the endpoint's secret>
A receiver recomputes the HMAC over the timestamp, a dot and the raw body, compares in constant
time, and rejects a timestamp more than five minutes old (a replay).

Every URL here was typed by someone (an admin, a status page visitor), so every request goes
through the one outgoing client, vigil.http: its address rule (VIGIL_OUTBOUND_ALLOWED_NETWORKS),
pinned connection, deadline (VIGIL_HTTP_DEADLINE) and size cap, checked again at each send.
"""

import hashlib
import hmac
import json
import time

from vigil import http

from .base import Channel, DeliveryError, Message, error_for_status

USER_AGENT = "Vigil-Comms/1"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def signed_headers(secret: str, body: bytes, event: str, delivery: str) -> dict[str, str]:
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Vigil-Event": event,
        "X-Vigil-Delivery": delivery,
        "X-Vigil-Timestamp": timestamp,
    }
    if secret:
        headers["X-Vigil-Signature"] = signature(secret, timestamp, body)
    return headers


def post(url: str, **kwargs) -> http.Response:
    """POST through vigil.http and return the 2xx response. A refused URL or address, or a refusal by
    the receiver, raises DeliveryError (permanent unless 408, 429 or 5xx); nothing heard, an OSError."""
    try:
        response = http.request("POST", url, user_agent=USER_AGENT, **kwargs)
    except http.RefusedURL as exc:
        raise DeliveryError(str(exc), permanent=True) from None
    if response.status_code >= 300:
        raise error_for_status(response.status_code, response.text[:300], response.headers.get("Retry-After"))
    return response


def event_of(body: str) -> str:
    """The payload's own "event" (incident.update, maintenance.started, subscription.confirmed...)."""
    try:
        event = json.loads(body).get("event")
    except (ValueError, AttributeError):
        event = None
    return event if isinstance(event, str) and event else "incident.update"


class WebhookChannel(Channel):
    kind = "webhook"
    max_batch = 20

    def send(self, message: Message) -> str:
        body = message.body.encode()
        headers = signed_headers(message.secret, body, event_of(message.body), str(message.id))
        response = post(message.destination, data=body, headers=headers)
        return f"http-{response.status_code}"


class SlackChannel(Channel):
    """A Slack incoming webhook: {"text": ...}. Slack answers 200 "ok"."""

    kind = "slack"
    max_batch = 20

    def send(self, message: Message) -> str:
        post(message.destination, json={"text": message.body})
        return "slack-ok"


class MastodonChannel(Channel):
    """One status per public update (POST /api/v1/statuses with a bearer token).

    The Idempotency-Key makes Mastodon ignore a repeat of a post it already took,
    so a retry after a lost answer does not post twice.
    """

    kind = "mastodon"
    max_batch = 20

    def send(self, message: Message) -> str:
        url = message.destination.rstrip("/") + "/api/v1/statuses"
        headers = {"Authorization": f"Bearer {message.secret}", "Idempotency-Key": f"vigil-{message.id}"}
        response = post(url, data={"status": message.body, "visibility": "public"}, headers=headers)
        return str(response.json().get("id", ""))[:100]
