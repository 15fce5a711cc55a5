"""Apprise: one channel for every service an Apprise URL names (Telegram, Discord, Teams, Matrix, Pushover...).

The destination is the URL (a personal one, comms.models.AppriseTarget, or a stakeholder endpoint's); the
row's subject is the title, its body the text (a page's with its acknowledge link). Everything about the
URL itself, its secrecy, Apprise's logs and the address rule is comms.apprise_urls.

Apprise answers a send with yes or no and no status: a no is taken as transient (retried with the
outbox's back-off; the reason is what Apprise logged, with the URL blotted out). A URL Apprise cannot
read, or whose host the address rule refuses, is permanent. The breaker counts per scheme and host
(base.destination_key reads only http(s) URLs).
"""

import apprise

from comms import apprise_urls
from vigil import http

from .base import Channel, DeliveryError, Message


def breaker_key(url: str) -> str:
    """The unit the breaker counts in: scheme and network host ("json://hooks.example:8080"), else the scheme
    (every tgram:// URL goes to api.telegram.org); never a token."""
    plugin = apprise_urls.service(url)
    if plugin is None:
        return ""
    scheme = url.partition("://")[0].lower()
    target = apprise_urls.network_host(plugin)
    if target is None:
        return f"apprise:{scheme}"
    host, port = target
    return f"apprise:{scheme}://{host}:{port or ''}"


class AppriseChannel(Channel):
    kind = "apprise"
    max_batch = 20

    def breaker_key(self, destination: str) -> str:
        return breaker_key(destination)

    def send(self, message: Message) -> str:
        url = message.destination
        plugin = apprise_urls.service(url)
        if plugin is None:
            raise DeliveryError("Apprise cannot use this URL (its scheme or its parts).", permanent=True)
        try:
            apprise_urls.check_address(plugin)
        except http.RefusedAddress as exc:
            raise DeliveryError(apprise_urls.failure_reason(url, [str(exc)]), permanent=True) from None
        except OSError as exc:
            raise DeliveryError(apprise_urls.failure_reason(url, [f"The host does not resolve: {exc}"])) from None
        sender = apprise.Apprise(asset=apprise_urls.asset())
        sender.add(plugin)
        with apprise_urls.quiet() as lines:
            sent = sender.notify(title=message.subject, body=message.body)
        if not sent:
            raise DeliveryError(apprise_urls.failure_reason(url, lines))
        return "apprise-ok"
