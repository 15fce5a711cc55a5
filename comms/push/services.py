"""Turning push on in a browser, and removing a device. Each a do_* action with its audit entry."""

from django.db import transaction

from vigil import http
from vigil.audit import Actor, record

from ..models import PushSubscription


class SubscriptionRefused(ValueError):
    """What the browser sent is not a push subscription; the message says why."""


def check_subscription(data: dict) -> tuple[str, str, str]:
    """(endpoint, p256dh, auth) from PushSubscription.toJSON(), or SubscriptionRefused."""
    if not isinstance(data, dict):
        raise SubscriptionRefused("Expected a JSON object.")
    endpoint = data.get("endpoint")
    keys = data.get("keys") if isinstance(data.get("keys"), dict) else {}
    p256dh, auth = keys.get("p256dh"), keys.get("auth")
    if not all(isinstance(v, str) and v for v in (endpoint, p256dh, auth)):
        raise SubscriptionRefused("A subscription has an endpoint and keys p256dh and auth.")
    if len(endpoint) > 1000 or len(p256dh) > 200 or len(auth) > 100:
        raise SubscriptionRefused("The subscription is too long.")
    try:
        http.parse(endpoint)  # sending checks the address too (vigil.http), every time
    except http.RefusedURL as exc:
        raise SubscriptionRefused(str(exc)) from None
    return endpoint, p256dh, auth


def device_label(user_agent: str) -> str:
    """A short name for the device, from its user agent: "Chrome on Android", "Firefox on Linux"."""
    ua = user_agent or ""
    browser = next(
        (name for token, name in (("Edg/", "Edge"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
                                  ("Safari/", "Safari")) if token in ua),
        "A browser",
    )  # fmt: skip
    system = next(
        (name for token, name in (("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"),
                                  ("Windows", "Windows"), ("Mac OS", "macOS"), ("Linux", "Linux")) if token in ua),
        "",
    )  # fmt: skip
    return f"{browser} on {system}" if system else browser


@transaction.atomic
def do_subscribe(actor: Actor, data: dict, label: str) -> PushSubscription:
    """Keep the browser's subscription for ACTOR's user. The same endpoint again (a browser renewing, or
    another person signing in on that browser) now belongs to whoever subscribed last, with its new keys."""
    endpoint, p256dh, auth = check_subscription(data)
    subscription, _ = PushSubscription.objects.update_or_create(
        endpoint=endpoint,
        defaults={"user": actor.user, "p256dh": p256dh, "auth": auth, "label": label[:100]},
    )
    record(actor, "push.subscribe", subscription, label=subscription.label, host=subscription.host)
    return subscription


@transaction.atomic
def do_remove_device(actor: Actor, subscription: PushSubscription) -> None:
    record(actor, "push.remove", subscription, label=subscription.label, host=subscription.host)
    subscription.delete()


def forget_gone(subscription_id: int) -> None:
    """The push service says the device unsubscribed (404/410): pushing to it again would fail the same way."""
    PushSubscription.objects.filter(pk=subscription_id).delete()
