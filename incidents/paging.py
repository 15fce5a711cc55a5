"""Paging a person about an incident, and the signed one-click acknowledge link a page carries.

page() stores the page and announces it (signals.page_requested) after commit: the
comms app delivers it by the person's notification rules. Until a channel delivers
it, a page is shown in the dashboard.
"""

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse

from . import signals
from .models import Incident, Page

ACK_SALT = "vigil.incidents.ack"


def ack_token(incident: Incident, user) -> str:
    return signing.dumps({"i": incident.pk, "u": user.pk}, salt=ACK_SALT, compress=True)


def read_ack_token(token: str) -> tuple[int, int]:
    """(incident id, user id). Raises signing.BadSignature (SignatureExpired when too old)."""
    data = signing.loads(token, salt=ACK_SALT, max_age=settings.VIGIL_ACK_LINK_MAX_AGE)
    return int(data["i"]), int(data["u"])


def ack_url(incident: Incident, user) -> str:
    return settings.VIGIL_BASE_URL + reverse("incidents:ack", args=[ack_token(incident, user)])


def page_message(incident: Incident, user) -> str:
    lines = [
        f"[{incident.severity.upper()}] #{incident.pk} {incident.title}",
        f"Acknowledge: {ack_url(incident, user)}",
        f"Incident: {settings.VIGIL_BASE_URL}{incident.get_absolute_url()}",
    ]
    if incident.bridge_url:
        lines.append(f"Bridge: {incident.bridge_url}")
    if incident.chat_url:
        lines.append(f"Chat: {incident.chat_url}")
    return "\n".join(lines)


def page(user, incident: Incident, *, escalation_id=None, step: int = 0, level: int = 0) -> Page:
    """Page USER about INCIDENT. Once per escalation step: a repeated call returns the same page."""
    page, created = Page.objects.get_or_create(
        incident=incident,
        user=user,
        escalation_id=escalation_id,
        step=step,
        defaults={"level": level, "message": page_message(incident, user)},
    )
    if created:
        transaction.on_commit(lambda: signals.page_requested.send(sender=Page, page=page))
    return page
