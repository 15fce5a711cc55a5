"""A message in an incident channel marked with VIGIL_SLACK_TIMELINE_REACTION is copied to the
incident's timeline, as a note by the message's author (not by whoever reacted): the author's Vigil
user when they are one, else written by "slack" with their Slack name in the text.

Who may mark: a linked Vigil user who may add notes on the web (incidents.add_incidentevent); other
reactions are ignored. A message is copied once (TimelineCopy), however often it is marked or the
event delivered. Vigil's own messages (the card, the archive notice) are not copied.
"""

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from slack_sdk.errors import SlackApiError

from chat.models import IncidentChannel, TimelineCopy
from incidents.services import do_add_note
from vigil.audit import Actor

from .client import web_client
from .dispatch import Request, event
from .identity import NotLinked, vigil_user

NOTE_PERMISSION = "incidents.add_incidentevent"


@event("reaction_added")
def reaction_added(request: Request) -> None:
    item = request.payload.get("event") or {}
    target = item.get("item") or {}
    if item.get("reaction") != settings.VIGIL_SLACK_TIMELINE_REACTION or target.get("type") != "message":
        return None
    row = IncidentChannel.objects.select_related("incident").filter(channel_id=target.get("channel") or "-").first()
    if row is None or not may_mark(request):
        return None
    client = web_client()
    message = find_message(client, row.channel_id, str(target.get("ts", "")))
    if message is None or is_own(client, message) or not (message.get("text") or "").strip():
        return None
    copy(client, row, message)
    return None


def may_mark(request: Request) -> bool:
    try:
        user = vigil_user(request.slack_user_id, request.team_id)
    except NotLinked:
        return False
    return user.has_perm(NOTE_PERMISSION)


def find_message(client, channel_id: str, ts: str) -> dict | None:
    """The message TS of the channel: a top-level one by history, a thread reply by replies."""
    if not ts:
        return None
    history = client.conversations_history(channel=channel_id, latest=ts, inclusive=True, limit=1)
    for message in history.get("messages") or []:
        if message.get("ts") == ts:
            return message
    try:
        replies = client.conversations_replies(channel=channel_id, ts=ts, latest=ts, inclusive=True)
    except SlackApiError:
        return None
    return next((m for m in replies.get("messages") or [] if m.get("ts") == ts), None)


def bot_user_id(client) -> str:
    """Vigil's own Slack user (auth.test), remembered for an hour."""
    found = cache.get("chat:slack:bot-user-id")
    if found is None:
        found = client.auth_test().get("user_id", "")
        cache.set("chat:slack:bot-user-id", found, 3600)
    return found


def is_own(client, message: dict) -> bool:
    return bool(message.get("bot_id")) and message.get("user") in ("", None, bot_user_id(client))


def author(client, slack_user_id: str) -> tuple[Actor, str]:
    """(who writes the note, the prefix naming them when they are no Vigil user)."""
    try:
        return Actor(user=vigil_user(slack_user_id), via="slack"), ""
    except NotLinked:
        pass
    try:
        profile = (client.users_info(user=slack_user_id).get("user") or {}).get("profile") or {}
        name = profile.get("display_name") or profile.get("real_name") or slack_user_id
    except SlackApiError:
        name = slack_user_id
    return Actor(via="slack"), f"{name} (in Slack): "


def copy(client, row: IncidentChannel, message: dict) -> None:
    actor, prefix = author(client, str(message.get("user") or ""))
    with transaction.atomic():
        try:
            with transaction.atomic():
                TimelineCopy.objects.create(incident=row.incident, channel_id=row.channel_id, ts=message["ts"])
        except IntegrityError:  # copied already
            return
        do_add_note(actor, row.incident, prefix + message["text"])
