"""Paging a person about an incident, and the signed one-click acknowledge link a page carries.

page() stores the page and announces it (signals.page_requested) after commit: the
comms app delivers it by the person's notification rules. Until a channel delivers
it, a page is shown in the dashboard.

The acknowledge link is a credential (it acts as the paged person without a login), so it is
never stored: Page.message and the outbox rows hold ACK_LINK where it goes, and the comms app
renders each person's link into the message at the moment it is sent (render_ack_link). A link
names its page and is good for one acknowledgement (incidents.paging_actions.do_acknowledge_by_link,
which the SMS ACK-code and voice paths use too), and only while its person still holds a role
that may acknowledge. Links made before pages were named in them (they named the incident and
the user) are refused: they were stored in message bodies that every role could read.
"""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from . import signals
from .models import Incident, Page

ACK_SALT = "vigil.incidents.ack"
# What a stored page text says where the link goes; comms renders the real link when it sends.
ACK_LINK = "[acknowledge link]"
# The permission the dashboard's Acknowledge button needs: a link, a code or a key press needs it too.
ACK_PERMISSION = "incidents.change_incident"


class LinkRefused(Exception):
    """The link (code, call) does nothing. The message says why, in words for the person paged."""


def ack_token(page: Page) -> str:
    return signing.dumps({"p": page.pk}, salt=ACK_SALT, compress=True)


def read_ack_token(token: str) -> int:
    """The page id. Raises signing.BadSignature (SignatureExpired when too old; BadSignature for an
    old-style link that named no page)."""
    data = signing.loads(token, salt=ACK_SALT, max_age=settings.VIGIL_ACK_LINK_MAX_AGE)
    if not isinstance(data, dict) or not isinstance(data.get("p"), int):
        raise signing.BadSignature("This link names no page.")
    return data["p"]


def ack_url(page: Page) -> str:
    return settings.VIGIL_BASE_URL + reverse("incidents:ack", args=[ack_token(page)])


def render_ack_link(text: str, page: Page) -> str:
    """TEXT with PAGE's own acknowledge link where it says ACK_LINK (at send time: never stored)."""
    return text.replace(ACK_LINK, ack_url(page)) if ACK_LINK in text else text


def page_message(incident: Incident, user=None) -> str:
    lines = [
        f"[{incident.severity.upper()}] #{incident.pk} {incident.title}",
        f"Acknowledge: {ACK_LINK}",
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


# --- Using a link ------------------------------------------------------------------------------------


def access_page_by_link(token: str) -> Page:
    """The page TOKEN names. Raises signing.SignatureExpired, signing.BadSignature or Page.DoesNotExist."""
    return Page.objects.select_related("incident", "user").get(pk=read_ack_token(token))


def may_acknowledge(user) -> bool:
    """USER as the database has them now (a role taken away or an account closed since the page counts)."""
    fresh = get_user_model().objects.filter(pk=user.pk, is_active=True).first()
    return fresh is not None and fresh.has_perm(ACK_PERMISSION)


def refusal(user) -> str:
    return (
        f"{user.get_username()} may no longer acknowledge incidents (their role or account changed since the "
        "page). Nothing was done."
    )


@dataclass(frozen=True)
class LinkUse:
    at: object
    via: str
    by: str


def link_use(page: Page) -> LinkUse | None:
    """When and how PAGE's link was used, and as whom; None while unused."""
    if page.link_used_at is None:
        return None
    return LinkUse(at=page.link_used_at, via=page.link_used_via, by=page.user.get_username())


def used_message(use: LinkUse) -> str:
    when = timezone.localtime(use.at).strftime("%Y-%m-%d %H:%M %Z")
    return f"This link was already used, by {use.by} at {when} (by {use.via}). It does nothing more."
