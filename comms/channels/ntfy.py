"""Pages and reminders to a responder's ntfy topic (ntfy.sh or a self-hosted server).

One JSON POST to the server's root (ntfy's "publish as JSON"): topic, title, message, priority from
the incident's severity (SEV1 5, "max": it sounds through Do Not Disturb on Android; SEV2 4; else 3),
tags, the incident as the click URL, and two buttons: Acknowledge, an `http` action that POSTs to the
page's own signed, single-use acknowledge URL (comms.views.ntfy_ack; rendered here, at send time, never
stored), and Open. A protected topic's access token goes as `Authorization: Bearer`.

The row's destination is the server (the circuit breaker counts per server); topic and token are read
from the person's NtfyTarget when sending, so neither sits on an outbox row. Every request goes through
vigil.http (its address rule: a server on a private address is refused unless
VIGIL_OUTBOUND_ALLOWED_NETWORKS allows it). ntfy answers 200 with the message's JSON; its id is the
provider id. 429 (with Retry-After) and 5xx are tried again; any other refusal (401/403: a wrong or
missing token) is permanent.
"""

from django.conf import settings
from django.urls import reverse

from incidents import paging
from incidents.models import Page

from ..models import Notification, NtfyTarget
from .base import ConcurrentChannel, DeliveryError, Message
from .webhook import post

PRIORITY = {"sev1": 5, "sev2": 4, "sev3": 3}
DEFAULT_PRIORITY = 3
REFUSALS = {
    401: "ntfy refused the access token (401): set a valid token for this topic",
    403: "ntfy refused this topic to the access token (403): check the token's access",
}


def ack_url(page: Page) -> str:
    """PAGE's acknowledge URL for a POST with no form (ntfy's http action): a credential, never stored."""
    return settings.VIGIL_BASE_URL + reverse("comms:ntfy_ack", args=[paging.ack_token(page)])


def payload(message: Message, topic: str, page: Page | None) -> dict:
    lines = message.body.strip().splitlines() or [""]
    data = {"topic": topic, "title": lines[0][:250], "message": message.body, "priority": DEFAULT_PRIORITY}
    data["tags"] = ["bell"]
    if page is not None:
        incident = page.incident
        open_url = settings.VIGIL_BASE_URL + incident.get_absolute_url()
        data["title"] = f"[{incident.get_severity_display()}] #{incident.pk} {incident.title}"[:250]
        data["priority"] = PRIORITY.get(incident.severity, DEFAULT_PRIORITY)
        data["tags"] = ["rotating_light", incident.severity]
        data["click"] = open_url
        data["actions"] = [
            {"action": "http", "label": "Acknowledge", "url": ack_url(page), "method": "POST", "clear": True},
            {"action": "view", "label": "Open", "url": open_url},
        ]
    return data


class NtfyChannel(ConcurrentChannel):
    """Many pages at once (an ntfy server answers in milliseconds); the database is read before the
    threads start (prepare), so they only make the requests."""

    kind = "ntfy"
    max_batch = 100
    concurrency = 16

    def prepare(self, messages: list[Message]) -> None:
        users = dict(Notification.objects.filter(pk__in=[m.id for m in messages]).values_list("pk", "user_id"))
        targets = NtfyTarget.objects.filter(user_id__in=set(users.values()))
        by_user = {target.user_id: target for target in targets}
        self.targets = {pk: by_user.get(user_id) for pk, user_id in users.items()}
        page_ids = [m.page_id for m in messages if m.page_id is not None]
        self.pages = Page.objects.select_related("incident").in_bulk(page_ids)

    def send(self, message: Message) -> str:
        target = self.targets.get(message.id)
        if target is None or not target.topic:
            raise DeliveryError("no ntfy topic", permanent=True)
        page = self.pages.get(message.page_id) if message.page_id is not None else None
        headers = {"Authorization": f"Bearer {target.token}"} if target.token else {}
        try:
            response = post(message.destination, json=payload(message, target.topic, page), headers=headers)
        except DeliveryError as exc:
            status = exc.reason.split(":", 1)[0].removeprefix("HTTP ")
            if status.isdigit() and int(status) in REFUSALS:
                raise DeliveryError(REFUSALS[int(status)], permanent=True) from None
            raise
        try:
            return str(response.json().get("id", ""))[:100] or "ntfy-ok"
        except (ValueError, AttributeError):
            return "ntfy-ok"
