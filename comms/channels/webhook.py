"""Outgoing webhooks: a JSON POST signed with HMAC-SHA256.

Each request carries
  Content-Type: application/json
  X-Vigil-Event: incident.update (the payload's "event": maintenance.started, subscription.confirmed...)
  X-Vigil-Delivery: <outbox row id>   (the same on every retry: receivers dedupe on it)
  X-Vigil-Timestamp: <unix seconds>
  X-Vigil-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>" keyed with the endpoint's secret>
A receiver recomputes the HMAC over the timestamp, a dot and the raw body, compares in constant
time, and rejects a timestamp more than five minutes old (a replay).
"""

import hashlib
import hmac
import json
import time

from comms import http

from .base import Channel, DeliveryError, Message


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


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
        if message.public_only:
            try:
                http.check_public_host(message.destination)
            except http.ForbiddenHost as exc:
                raise DeliveryError(str(exc), permanent=True) from None
        body = message.body.encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Vigil-Event": event_of(message.body),
            "X-Vigil-Delivery": str(message.id),
            "X-Vigil-Timestamp": timestamp,
        }
        if message.secret:
            headers["X-Vigil-Signature"] = signature(message.secret, timestamp, body)
        response = http.post(message.destination, data=body, headers=headers)
        return f"http-{response.status_code}"


class SlackChannel(Channel):
    """A Slack incoming webhook: {"text": ...}. Slack answers 200 "ok"."""

    kind = "slack"
    max_batch = 20

    def send(self, message: Message) -> str:
        http.post(message.destination, json={"text": message.body})
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
        response = http.post(url, data={"status": message.body, "visibility": "public"}, headers=headers)
        return str(response.json().get("id", ""))[:100]
