"""Webhook subscribers: verified by a challenge before anything else is sent.

A new or re-keyed webhook subscriber (services.do_subscribe) gets, from a worker
(comms.tasks.verify_webhook_subscriber), a signed request carrying a challenge its receiver must
echo; only then is it confirmed and sent its manage link. So no one can point Vigil's requests at
a server that did not ask for them.
"""

import hmac
import json
import logging

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from comms.channels.webhook import signed_headers
from comms.models import Subscriber
from vigil import http
from vigil.audit import SYSTEM, record

from .services import already_row, send_after_commit

Kind = Subscriber.Kind
CHALLENGE_SALT = "vigil.status.subscription.challenge"
VERIFY_EVENT = "subscription.verify"

logger = logging.getLogger(__name__)


def challenge(subscriber: Subscriber) -> str:
    """The token SUBSCRIBER's verification request carries and its receiver must echo.

    Derived from the subscriber's token and signing key with SECRET_KEY: unguessable, the same on a
    retried task, and a new one whenever a sign-up gives the webhook a new key.
    """
    return salted_hmac(CHALLENGE_SALT, f"{subscriber.token}:{subscriber.secret}", algorithm="sha256").hexdigest()


def echoed(response: http.Response, token: str) -> bool:
    """The receiver's answer holds TOKEN: {"challenge": TOKEN} or the token alone (like Slack's url_verification)."""
    text = response.text.strip()
    try:
        payload = json.loads(text)
    except ValueError:
        payload = text
    if isinstance(payload, dict):
        payload = payload.get("challenge")
    return isinstance(payload, str) and hmac.compare_digest(payload.encode(), token.encode())


def do_verify_webhook(subscriber_id: int) -> bool:
    """POST the webhook's signed verification request ({"event": "subscription.verify", "challenge": ...});
    confirm it when the receiver answers 2xx with the challenge. True when it is confirmed.

    Not an outbox row: what matters is the answer, which no channel reads. Safe to repeat: an
    unknown, confirmed or re-keyed (signed up again meanwhile) subscriber is left as it is. The
    request goes through vigil.http like every webhook, with its address rule and deadline. On
    success the subscriber's first message, its manage link (subscription.confirmed), is queued.
    """
    subscriber = Subscriber.objects.filter(pk=subscriber_id, kind=Kind.WEBHOOK).first()
    if subscriber is None or subscriber.confirmed:
        return bool(subscriber and subscriber.confirmed)
    token = challenge(subscriber)
    body = json.dumps({"event": VERIFY_EVENT, "challenge": token}).encode()
    headers = signed_headers(subscriber.secret, body, VERIFY_EVENT, f"verify-{token[:16]}")
    try:
        response = http.request("POST", subscriber.address, data=body, headers=headers, max_bytes=64 * 1024)
    except (http.RefusedURL, OSError) as exc:
        logger.info("Webhook subscriber %s not verified: %s", subscriber_id, exc)
        return False
    if not (200 <= response.status_code < 300 and echoed(response, token)):
        logger.info(
            "Webhook subscriber %s not verified: HTTP %s without the challenge", subscriber_id, response.status_code
        )
        return False
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().filter(pk=subscriber_id).first()
        if subscriber is None or subscriber.confirmed or challenge(subscriber) != token:
            return bool(subscriber and subscriber.confirmed)
        subscriber.confirmed_at = timezone.now()
        subscriber.save(update_fields=["confirmed_at", "updated_at"])
        record(SYSTEM, "status_subscription.confirm", subscriber, kind=subscriber.kind)
        send_after_commit([already_row(subscriber)])
    return True
