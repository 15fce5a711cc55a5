"""Pages as Slack DMs, with Acknowledge and Escalate buttons, edited once the incident is answered.

A Slack DM is one of a responder's notification rules (comms.models.PageMedium.SLACK_DM): comms plans
an outbox row for it whose destination is the person's Slack user id, and its channel
(comms.channels.slack_dm) calls post_page() here. Posting to a user id makes Slack open the DM.

The DM carries no acknowledge link (the outbox row's text leaves out the line with ACK_LINK): its
buttons act as whoever presses them, checked like the web's (chat.slack.page_actions). Every DM posted
is kept (chat.models.SlackMessage), so when the incident is acknowledged or resolved by any path (web,
SMS, link, API, a button) refresh_page_messages() edits each one to say so, without buttons.

The dependency runs comms -> chat only: nothing here imports comms.
"""

import logging
from datetime import UTC

from django.conf import settings
from slack_sdk.errors import SlackApiError

from chat.models import SlackIdentity, SlackMessage
from incidents import paging
from incidents.models import Incident, Page, Status
from vigil.people import display_name
from vigil.queue import enqueue

from . import client

logger = logging.getLogger(__name__)

ACK = "page_ack"
ESCALATE = "page_escalate"
OPEN = "page_open"  # a link button: Slack opens the URL (and tells the app, which does nothing)


def slack_user_id(user) -> str:
    """USER's Slack user id, or "" when they have no linked Slack account or Slack is not configured."""
    if not client.enabled():
        return ""
    return SlackIdentity.objects.filter(user=user).values_list("slack_user_id", flat=True).first() or ""


def unreachable_reason(user) -> str:
    """Why a Slack DM rule would reach USER nobody, in words; "" when it would."""
    if not client.enabled():
        return "Slack is not configured"
    if not SlackIdentity.objects.filter(user=user).exists():
        return "not linked to Slack"
    return ""


def linked_user_ids(user_ids) -> set[int]:
    """Which of USER_IDS a Slack DM reaches (a linked account, Slack configured), in one query."""
    if not client.enabled():
        return set()
    return set(SlackIdentity.objects.filter(user__in=user_ids).values_list("user_id", flat=True))


def incident_url(incident: Incident) -> str:
    return settings.VIGIL_BASE_URL + incident.get_absolute_url()


def page_text(page: Page) -> str:
    """The page's words for Slack: its message without the acknowledge-link line (the buttons do that)."""
    lines = [line for line in page.message.splitlines() if paging.ACK_LINK not in line]
    who = f"Paged by escalation level {page.level + 1}" if page.escalation_id else "Paged"
    return "\n".join([*lines, f"{who}, as {display_name(page.user)}."])


def page_blocks(page: Page, text: str) -> list[dict]:
    def button(label: str, action: str, **extra) -> dict:
        return {
            "type": "button",
            "text": {"type": "plain_text", "text": label},
            "action_id": f"{action}:{page.pk}",
            "value": str(page.pk),
            **extra,
        }

    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}},
        {
            "type": "actions",
            "block_id": f"page:{page.pk}",
            "elements": [
                button("Acknowledge", ACK, style="primary"),
                button("Escalate", ESCALATE),
                button("Open", OPEN, url=incident_url(page.incident)),
            ],
        },
    ]


def post_page(page_id: int, text: str) -> str:
    """DM the paged person; returns "<channel>:<ts>". Raises SlackApiError or OSError (comms maps them)."""
    page = Page.objects.select_related("incident", "user").get(pk=page_id)
    destination = slack_user_id(page.user)
    answer = client.web_client().chat_postMessage(channel=destination, text=text, blocks=page_blocks(page, text))
    channel, ts = answer["channel"], answer["ts"]
    SlackMessage.objects.get_or_create(
        channel_id=channel, ts=ts, defaults={"kind": SlackMessage.Kind.PAGE, "incident": page.incident, "page": page}
    )
    return f"{channel}:{ts}"


def post_text(user_id: str, text: str) -> str:
    """A plain DM (a reminder by a Slack DM rule: no page, no buttons)."""
    answer = client.web_client().chat_postMessage(channel=user_id, text=text)
    return f"{answer['channel']}:{answer['ts']}"


# --- Answered: every DM of the incident says so ------------------------------------------------------


def outcome(incident: Incident) -> str:
    """What the incident's DMs say once it is answered; "" while nobody has."""
    if incident.status == Status.TRIGGERED or incident.acknowledged_at is None:
        return ""
    if incident.status == Status.RESOLVED and incident.resolved_at:
        return f"Resolved at {_when(incident.resolved_at)}."
    return f"Acknowledged by {display_name(incident.acknowledged_by)} at {_when(incident.acknowledged_at)}."


def _when(moment) -> str:
    return moment.astimezone(UTC).strftime("%H:%M UTC")  # Slack has no viewer's zone here


def answered_blocks(message: SlackMessage, said: str) -> tuple[str, list[dict]]:
    text = page_text(message.page) if message.page else f"#{message.incident.pk} {message.incident.title}"
    link = f"<{incident_url(message.incident)}|Open the incident>"
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"*{said}* {link}"}]},
    ]
    return f"{text}\n{said}", blocks


def refresh_page_messages(incident_id: int) -> int:
    """Edit each page DM of the incident to show who answered, without buttons. Returns the DMs edited.

    Safe to repeat (chat.update sets the same words). A DM Slack no longer has is skipped; a failure
    worth another try raises, and the task (chat.tasks.refresh_page_dms) runs it all again later.
    """
    incident = Incident.objects.select_related("acknowledged_by").get(pk=incident_id)
    said = outcome(incident)
    if not said:
        return 0
    edited = 0
    rows = SlackMessage.objects.filter(incident=incident, kind=SlackMessage.Kind.PAGE).select_related("page__user")
    for message in rows:
        text, blocks = answered_blocks(message, said)
        try:
            client.web_client().chat_update(channel=message.channel_id, ts=message.ts, text=text, blocks=blocks)
        except SlackApiError as exc:
            if client.retry_delay(exc, 0) is not None:
                raise
            logger.warning("Page DM %s not edited: %s", message, client.error_code(exc))
            continue
        edited += 1
    return edited


def refresh_or_retry(task, incident_id: int) -> int:
    """chat.tasks.refresh_page_dms: refresh, and on a failure worth it, retry the task later (no sleeping)."""
    try:
        return refresh_page_messages(incident_id)
    except (SlackApiError, OSError) as exc:
        client.retry_later(task, exc)
        logger.warning("Page DMs of incident %s not edited: %s", incident_id, client.error_code(exc))
        return 0


def on_answered(sender, incident, **kwargs) -> None:
    """incidents.signals.incident_acknowledged and incident_resolved, from whichever path."""
    if client.enabled() and SlackMessage.objects.filter(incident=incident, kind=SlackMessage.Kind.PAGE).exists():
        enqueue("chat.tasks.refresh_page_dms", incident.pk, robust=True)


def connect() -> None:
    from incidents import signals

    signals.incident_acknowledged.connect(on_answered, dispatch_uid="chat.slack.pages.acknowledged")
    signals.incident_resolved.connect(on_answered, dispatch_uid="chat.slack.pages.resolved")
