"""An incident's own Slack channel: opened when the incident is declared from Slack or is severe
enough (VIGIL_SLACK_CHANNEL_SEVERITIES), its people invited, its links bookmarked, its card posted,
pinned and edited in place whatever changed the incident, and archived some hours after resolution.

The IncidentChannel row is written at once, in the request that declared the incident; the Slack
calls happen in Celery tasks (chat.tasks.set_up_channel, refresh_card, archive_channels). Each step
checks what the row already records before calling Slack, so a retried task creates no second channel,
card or bookmark. A Slack that is down or rate-limiting only delays the channel: the task retries with
Slack's Retry-After or a back-off (client.retry_delay, bounded), the row's `problem` says why in words
(shown on the incident page), and the incident goes on without it.
"""

import logging
import re
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_save
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from slack_sdk.errors import SlackApiError

from chat.models import IncidentChannel, SlackIdentity
from incidents import signals
from incidents.models import Incident, Page, Status
from incidents.services import do_set_war_room
from vigil.audit import Actor
from vigil.queue import enqueue

from . import card
from .client import enabled, error_code, retry_delay, web_client

logger = logging.getLogger(__name__)

SLACK = Actor(via="slack")
MAX_RETRIES = 8  # with retry_delay's back-off (2 s doubling up to 5 min): about 15 minutes of trying
MAX_NAME_TRIES = 20
# Answers that mean the channel or the card is gone for good: say so, do not retry.
GONE = {"channel_not_found", "message_not_found", "is_archived", "not_in_channel"}


# --- Names -------------------------------------------------------------------------------------------


def channel_name(incident: Incident) -> str:
    """The pattern filled in and made a valid Slack name: lowercase a-z, 0-9, - and _, at most 80."""
    slug = slugify(incident.title)[:40].strip("-") or "incident"
    name = settings.VIGIL_SLACK_CHANNEL_PATTERN.format_map({"id": incident.pk, "slug": slug}).lower()
    name = re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9_-]+", "-", name)).strip("-")
    return name[:80].rstrip("-") or f"inc-{incident.pk}"


def numbered(name: str, number: int) -> str:
    suffix = f"-{number}"
    return name[: 80 - len(suffix)] + suffix


def slack_url(channel_id: str) -> str:
    """A link to the channel that opens it in whichever workspace the reader is signed in to: the
    workspace's own domain is unknown to Vigil, and a slack:// link is no http URL (Incident.chat_url)."""
    return f"https://slack.com/app_redirect?channel={channel_id}"


# --- Opening -----------------------------------------------------------------------------------------


def wants_channel(incident: Incident, actor: Actor | None) -> bool:
    return (actor is not None and actor.via == "slack") or incident.severity in settings.VIGIL_SLACK_CHANNEL_SEVERITIES


def open_channel(incident: Incident, declarer=None) -> IncidentChannel | None:
    """Write the incident's channel row (once) and queue its set-up. None when Slack is off."""
    if not enabled():
        return None
    row, created = IncidentChannel.objects.get_or_create(incident=incident, defaults={"name": channel_name(incident)})
    if created:
        enqueue("chat.tasks.set_up_channel", incident.pk, getattr(declarer, "pk", None))
    return row


def on_declared(sender, incident: Incident, actor: Actor, **kwargs) -> None:
    if wants_channel(incident, actor):
        open_channel(incident, declarer=actor.user if actor.via == "slack" else None)


def on_severity_changed(sender, incident: Incident, actor: Actor, **kwargs) -> None:
    if incident.is_open and incident.severity in settings.VIGIL_SLACK_CHANNEL_SEVERITIES:
        open_channel(incident)


# --- The set-up task ---------------------------------------------------------------------------------


def run_with_retries(task, work, *args) -> None:
    """Run WORK(*args) for a bound Celery TASK: a Slack or network failure is recorded on the row in
    words and retried when another try can help (retry_delay), at most MAX_RETRIES times."""
    incident_id = args[0]
    try:
        work(*args)
    except (SlackApiError, OSError) as exc:
        code = error_code(exc)
        delay = retry_delay(exc, task.request.retries)
        if code in GONE:
            delay = None
        retrying = delay is not None and task.request.retries < MAX_RETRIES
        record_problem(incident_id, describe(code, retrying))
        logger.warning("Slack %s for incident %s: %s", work.__name__, incident_id, code)
        if retrying:
            raise task.retry(countdown=delay, max_retries=MAX_RETRIES) from None


def describe(code: str, retrying: bool) -> str:
    if code == "ratelimited":
        why = "Slack asked Vigil to slow down (rate limited)"
    elif code in ("ConnectionRefusedError", "URLError", "TimeoutError", "timeout"):
        why = f"Slack could not be reached ({code})"
    elif code in GONE:
        why = f"the channel or its card is gone from Slack ({code})"
    else:
        why = f"Slack answered {code}"
    return f"{why}; " + ("trying again shortly." if retrying else "Vigil gave up; the incident goes on without it.")


def record_problem(incident_id: int, problem: str) -> None:
    IncidentChannel.objects.filter(incident_id=incident_id).update(problem=problem[:300])


def set_up(incident_id: int, declarer_id: int | None = None) -> None:
    """Create, populate and link the channel of INCIDENT_ID; each step skipped when already done."""
    row = IncidentChannel.objects.select_related("incident").filter(incident_id=incident_id).first()
    if row is None or row.archived_at:
        return
    client = web_client()
    if not row.channel_id:
        create(client, row)
    invite(client, row, declarer_id)
    if not row.bookmarked:
        bookmark(client, row)
    post_card(client, row)
    link_incident(row)
    if row.problem:
        IncidentChannel.objects.filter(pk=row.pk).update(problem="")


def create(client, row: IncidentChannel) -> None:
    base = row.name
    for number in range(1, MAX_NAME_TRIES + 1):
        name = base if number == 1 else numbered(base, number)
        try:
            answer = client.conversations_create(name=name)
        except SlackApiError as exc:
            if error_code(exc) == "name_taken":
                continue
            raise
        row.channel_id, row.name = answer["channel"]["id"], name
        row.save(update_fields=["channel_id", "name"])
        return
    raise SlackApiError(f"{MAX_NAME_TRIES} channel names taken", {"ok": False, "error": "name_taken"})


def people(incident: Incident, declarer_id: int | None = None) -> list:
    users = {page.user_id: page.user for page in Page.objects.filter(incident=incident).select_related("user")}
    if incident.commander_id:
        users[incident.commander_id] = incident.commander
    if declarer_id and incident.created_by_id == declarer_id:
        users[declarer_id] = incident.created_by
    return [user for user in users.values() if user.is_active]


def slack_id(client, user) -> str:
    """USER's Slack id: the stored identity, else found by their email (and then stored). "" if none."""
    identity = SlackIdentity.objects.filter(user=user).first()
    if identity:
        return identity.slack_user_id
    if not user.email:
        return ""
    try:
        found = client.users_lookupByEmail(email=user.email)["user"]
    except SlackApiError as exc:
        if error_code(exc) == "users_not_found":
            return ""
        raise
    identity, _ = SlackIdentity.objects.get_or_create(
        slack_user_id=found["id"],
        defaults={"user": user, "team_id": found.get("team_id", ""), "linked_by": SlackIdentity.LinkedBy.EMAIL},
    )
    return identity.slack_user_id if identity.user_id == user.pk else ""


def invite(client, row: IncidentChannel, declarer_id: int | None = None) -> None:
    """Invite the incident's people one by one (already there is fine: this runs on every refresh)."""
    for user in people(row.incident, declarer_id):
        member = slack_id(client, user)
        if not member:
            continue
        try:
            client.conversations_invite(channel=row.channel_id, users=member)
        except SlackApiError as exc:
            if error_code(exc) not in ("already_in_channel", "cant_invite_self", "user_not_found", "user_disabled"):
                raise


def status_page_url() -> str:
    return settings.VIGIL_BASE_URL + reverse("status_page")


def bookmark(client, row: IncidentChannel) -> None:
    if row.incident.bridge_url:
        client.bookmarks_add(channel_id=row.channel_id, title="Bridge", type="link", link=row.incident.bridge_url)
    client.bookmarks_add(channel_id=row.channel_id, title="Status page", type="link", link=status_page_url())
    row.bookmarked = True
    row.save(update_fields=["bookmarked"])


def post_card(client, row: IncidentChannel) -> None:
    incident = Incident.objects.get(pk=row.incident_id)
    if not row.card_ts:
        shown = card.blocks(incident)
        answer = client.chat_postMessage(channel=row.channel_id, blocks=shown, text=card.text(incident))
        row.card_ts, row.card_fingerprint = answer["ts"], card.fingerprint(incident, shown)
        row.save(update_fields=["card_ts", "card_fingerprint"])
    try:
        client.pins_add(channel=row.channel_id, timestamp=row.card_ts)
    except SlackApiError as exc:
        if error_code(exc) != "already_pinned":
            raise


def link_incident(row: IncidentChannel) -> None:
    incident = Incident.objects.get(pk=row.incident_id)
    if not incident.chat_url:
        do_set_war_room(SLACK, incident, incident.bridge_url, slack_url(row.channel_id))


# --- The card, edited in place -----------------------------------------------------------------------


def refresh_key(incident_id: int) -> str:
    return f"chat:slack:card-refresh:{incident_id}"


def schedule_refresh(incident_id: int) -> None:
    """Queue one card refresh for a burst of changes: the first change of a burst queues it (1 s
    later), the others find the key. The task drops the key before reading the incident, so a change
    made while it runs queues another refresh: the last change is always shown."""

    def queue() -> None:
        if cache.add(refresh_key(incident_id), 1, timeout=30):
            enqueue("chat.tasks.refresh_card", incident_id, countdown=1)

    if enabled() and IncidentChannel.objects.filter(incident_id=incident_id, archived_at=None).exists():
        transaction.on_commit(queue)


def refresh(incident_id: int) -> None:
    """Invite anyone newly paged, and edit the card when what it shows changed."""
    cache.delete(refresh_key(incident_id))
    row = IncidentChannel.objects.select_related("incident").filter(incident_id=incident_id).first()
    if row is None or row.archived_at or not row.channel_id or not row.card_ts:
        return
    client = web_client()
    invite(client, row)
    incident = Incident.objects.get(pk=incident_id)
    shown = card.blocks(incident)
    new = card.fingerprint(incident, shown)
    if new == row.card_fingerprint:
        return
    try:
        client.chat_update(channel=row.channel_id, ts=row.card_ts, blocks=shown, text=card.text(incident))
    except SlackApiError as exc:
        code = error_code(exc)
        if code == "message_not_found":  # someone deleted the card: post and pin a new one
            row.card_ts = ""
            post_card(client, row)
            return
        if code in GONE:  # the channel is gone or archived: stop following it
            IncidentChannel.objects.filter(pk=row.pk).update(archived_at=timezone.now(), problem=describe(code, False))
            return
        raise
    IncidentChannel.objects.filter(pk=row.pk).update(card_fingerprint=new)


def on_incident_saved(sender, instance: Incident, created: bool, **kwargs) -> None:
    if not created:
        schedule_refresh(instance.pk)


def on_incident_signal(sender, incident: Incident, **kwargs) -> None:
    schedule_refresh(incident.pk)


def on_page_requested(sender, page: Page, **kwargs) -> None:
    schedule_refresh(page.incident_id)


# --- Archiving ---------------------------------------------------------------------------------------


def archive_due() -> int:
    """Archive the channels of incidents resolved VIGIL_SLACK_ARCHIVE_AFTER_HOURS ago (0: never),
    with a last message first. A reopened incident is not resolved, so its channel stays."""
    hours = settings.VIGIL_SLACK_ARCHIVE_AFTER_HOURS
    if not hours or not enabled():
        return 0
    due = IncidentChannel.objects.filter(
        archived_at=None,
        incident__status=Status.RESOLVED,
        incident__resolved_at__lte=timezone.now() - timedelta(hours=hours),
    ).exclude(channel_id="")
    archived = 0
    client = web_client()
    for row in due.select_related("incident"):
        try:
            archive(client, row, hours)
        except (SlackApiError, OSError) as exc:  # the next run tries again
            record_problem(row.incident_id, f"Archiving failed: {describe(error_code(exc), True)}")
            continue
        archived += 1
    return archived


def archive(client, row: IncidentChannel, hours: int) -> None:
    client.chat_postMessage(
        channel=row.channel_id,
        text=f"Incident #{row.incident_id} was resolved over {hours} hours ago: archiving this channel. "
        f"The record stays in Vigil: {card.incident_url(row.incident)}",
    )
    try:
        client.conversations_archive(channel=row.channel_id)
    except SlackApiError as exc:
        if error_code(exc) not in ("already_archived", "channel_not_found"):
            raise
    IncidentChannel.objects.filter(pk=row.pk, archived_at=None).update(archived_at=timezone.now(), problem="")


# --- The incident page -------------------------------------------------------------------------------


def incident_page_panel(sender, incident: Incident, request, **kwargs) -> str:
    """The incident page's Slack line: the channel's link, or why it is not (yet) there."""
    row = IncidentChannel.objects.filter(incident=incident).first()
    if row is None:
        return ""
    return render_to_string(
        "chat/_incident_channel.html",
        {"row": row, "url": slack_url(row.channel_id) if row.channel_id else ""},
        request=request,
    )


def connect() -> None:
    signals.incident_declared.connect(on_declared, dispatch_uid="chat.channels.declared")
    signals.incident_severity_changed.connect(on_severity_changed, dispatch_uid="chat.channels.severity")
    for name in ("acknowledged", "status_changed", "severity_changed", "update_posted", "resolved", "reopened"):
        getattr(signals, f"incident_{name}").connect(on_incident_signal, dispatch_uid=f"chat.card.{name}")
    signals.page_requested.connect(on_page_requested, dispatch_uid="chat.card.paged")
    post_save.connect(on_incident_saved, sender=Incident, dispatch_uid="chat.card.saved")
    signals.incident_page_panels.connect(incident_page_panel, dispatch_uid="chat.channels.panel")
