"""The outbox: plan rows, claim them, send them, record what the provider said.

Every message is a Notification row before it is a network call (DESIGN.md). A send claims due queued
rows (vigil.claims: SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL; on SQLite the IMMEDIATE transaction
already holds the one write lock), marks them `sending` with a claim token and one more attempt, and
commits before calling the provider. Outcomes are written as they arrive, in small groups
(comms.recording), so a worker killed mid-send leaves only the rows it was holding in `sending`;
requeue_stalled() hands those back after the lease. Only a row whose provider answered "accepted" is
`sent`, and a sent row is never claimed again.

Two lanes: a row that delivers a page (page_id set) is in the page lane, every other row (public
updates, subscribers, notices, digests, reminders) in the bulk lane. Each lane is claimed and sent by
its own task on its own queue (comms.tasks.send_pages on `pages`, comms.tasks.send on `comms`), so
however much bulk work waits, or however slow its receivers are, a page never waits behind it. A claim
takes rows of one lane only.
"""

import logging
import secrets
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from chat.slack import pages as slack_pages
from incidents import paging
from incidents.models import Page
from vigil import claims
from vigil.db import bulk_insert

from . import audience, messages, rules_for, urgency
from .channels import Message, channel_for, get_channel
from .models import Contact, Endpoint, Fanout, Medium, Notification, PageMedium, State
from .push import planning as push_planning
from .recording import Recorder, record, retry_delay  # noqa: F401 - record and retry_delay: as before the split
from .status.subscribers import services as subscriptions

logger = logging.getLogger(__name__)

# The lanes (module docstring). A row's lane follows from what it is, so no writer can put it in
# the wrong one; the partial index notification_page_due_idx serves the page lane's claims.
PAGE_LANE = "page"
BULK_LANE = "bulk"
LANES = {PAGE_LANE: Q(page__isnull=False), BULK_LANE: Q(page__isnull=True)}


def in_lane(lane: str | None) -> Q:
    """The rows of LANE; None: of both lanes (a caller that is not a lane's task: tests, a shell)."""
    return LANES[lane] if lane is not None else Q()


# --- Planning -----------------------------------------------------------------------


def plan_update(update_id: int) -> list[str]:
    """Write the outbox rows of one public update, once. Returns the channels that got rows."""
    with transaction.atomic():
        fanout = Fanout.objects.select_for_update().select_related("update__incident").get(update_id=update_id)
        if fanout.planned_at is not None:
            return []
        planned = _write_update_rows(fanout.update)
        fanout.planned_at = timezone.now()
        fanout.recipients = sum(planned.values())
        fanout.save(update_fields=["planned_at", "recipients"])
    return sorted(planned)


# What an update's stakeholder rows hold besides the update and defaults (vigil.db.bulk_insert).
STAKEHOLDER_COLUMNS = ("stakeholder_id", "medium", "channel", "destination", "subject", "body")


def _write_update_rows(update) -> Counter:
    """Write UPDATE's rows: its audience's, streamed in chunks (never the whole audience in memory),
    then its endpoints' and its subscribers'. Returns the rows made by channel (some may have been there)."""
    texts = messages.update_texts(update)
    planned = Counter()
    subscribers = subscriptions.interested(audience.affected_component_ids(update.incident))
    # A subscriber a stakeholder reaches at the same address by the same medium hears once (HEARD).
    addresses, heard = set(subscribers.values_list("kind", "address")), set()
    rows = _stakeholder_rows(update, texts, planned, addresses, heard)
    bulk_insert(Notification, STAKEHOLDER_COLUMNS, rows, {"update_id": update.pk}, ignore_conflicts=True)
    rows = [
        Notification(
            update=update,
            endpoint=endpoint,
            medium=endpoint.kind,
            channel=channel_for(endpoint.kind),
            destination=endpoint.url,
            subject=texts.subject if endpoint.kind == Endpoint.Kind.APPRISE else "",  # Apprise's title
            body=texts.bodies[messages.body_part(endpoint.kind)],
        )
        for endpoint in Endpoint.objects.filter(enabled=True)
    ]
    # The status page's subscribers to an affected component (or to all), each with their manage link.
    rows += subscriptions.rows_for(subscribers, texts.subject, texts.bodies, heard, update=update)
    Notification.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    planned.update(row.channel for row in rows)
    return planned


def _stakeholder_rows(update, texts, planned: Counter, addresses: set, heard: set) -> Iterator[tuple]:
    """The audience's rows as STAKEHOLDER_COLUMNS values, counted in PLANNED by channel; the (medium,
    address) pairs found in ADDRESSES are added to HEARD."""
    kinds = {medium: channel_for(medium) for medium in ("email", "sms", "voice")}
    for pk, medium, address in audience.addressed(update.incident):
        planned[kinds[medium]] += 1
        if (medium, address) in addresses:
            heard.add((medium, address))
        yield pk, medium, kinds[medium], address, texts.subject if medium == "email" else "", texts.bodies[medium]


def plan_page(page: Page) -> list[str]:
    """The rows that deliver PAGE by its person's notification rules for its urgency (each after its delay,
    counted from the end of their quiet hours for a low-urgency page planned inside them: comms.urgency)."""
    user = page.user
    level = urgency.of_page(page)
    rules = urgency.chain(user, level)
    held = urgency.hold(user, level, page.created_at)
    start = held.until if held else page.created_at
    contact = Contact.objects.filter(user=user).first()  # fresh: a STOP may have come since USER was loaded
    phone = getattr(contact, "phone", "")
    code = new_ack_code()  # the SMS row's: its person texts back ACK <code> (comms.provider_callbacks.twilio_sms)
    texts = messages.page_texts(page)  # placeholders for the link and the code: _message renders them
    rows = []
    for medium, delay in rules:
        if medium == PageMedium.PUSH:  # one row per device (comms.push.planning)
            rows += push_planning.page_rows(page, page.message, delay, start=start, note=held.note if held else "")
            continue
        destination = rules_for.destination(user, medium, phone)
        if not destination or (medium == "sms" and contact.sms_opted_out):
            continue
        rows.append(
            Notification(
                page=page,
                user=user,
                medium=medium,
                channel=channel_for(medium),
                destination=destination,
                subject=texts.subject if medium in ("email", PageMedium.APPRISE) else "",
                body=_page_body(page, texts, medium),
                ack_code=code if medium == "sms" else "",
                next_attempt_at=start + timedelta(minutes=delay),
                note=held.note if held else "",
            )
        )
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return sorted({row.channel for row in rows})


def _page_body(page: Page, texts, medium: str) -> str:
    if medium == "sms":
        return page_sms(texts.bodies[medium], messages.ACK_CODE)
    if medium == PageMedium.SLACK_DM:  # buttons instead of the link (chat.slack.pages)
        return slack_pages.page_text(page)
    if medium == PageMedium.NTFY:  # the page's own text; its buttons come from the channel (channels.ntfy)
        return page.message
    return texts.bodies[messages.body_part(medium)]


def notice_rows(users, subject: str, body: str, now=None) -> list[Notification]:
    """One email row per active user with an address (comms.services.notify_people)."""
    people = {u.pk: u for u in users if u is not None and u.is_active and u.email}
    return _email_rows("user", people.values(), subject, body, now)


def stakeholder_notice_rows(stakeholders, subject: str, body: str, now=None) -> list[Notification]:
    """One email row per stakeholder with an address (comms.services.notify_stakeholders)."""
    people = {s.pk: s for s in stakeholders if s.email}
    return _email_rows("stakeholder", people.values(), subject, body, now)


def _email_rows(recipient_field: str, recipients, subject: str, body: str, now=None) -> list[Notification]:
    now = now or timezone.now()
    channel = channel_for(Medium.EMAIL)
    return [
        Notification(
            **{recipient_field: person},
            medium=Medium.EMAIL,
            channel=channel,
            destination=person.email,
            subject=subject[:300],
            body=body,
            next_attempt_at=now,
        )
        for person in recipients
    ]


def new_ack_code() -> str:
    """Six digits the paged person texts back (ACK 123456), matched with their number (comms.services)."""
    return f"{secrets.randbelow(10**6):06d}"


def page_sms(body: str, code: str) -> str:
    """The page SMS always says how to acknowledge by reply, even from a template edited to leave the code out."""
    return body if f"ACK {code}" in body else f"{body}\nReply ACK {code} to acknowledge."


# --- Sending -------------------------------------------------------------------------


def claim(kind: str, limit: int, now=None, *, lane: str | None = None) -> list[Notification]:
    """Take up to LIMIT due queued rows of channel KIND in LANE for this send, and commit before any network call."""
    now = now or timezone.now()
    token = uuid.uuid4()
    due = Notification.objects.filter(in_lane(lane), channel=kind, state=State.QUEUED, next_attempt_at__lte=now)
    # Two workers claim disjoint rows without waiting on each other (vigil.claims).
    claims.claim(
        due.order_by("next_attempt_at", "id"),
        limit,
        state=State.SENDING,
        claim=token,
        claimed_at=now,
        attempts=F("attempts") + 1,
    )
    held = Notification.objects.filter(claim=token, state=State.SENDING).select_related(
        "endpoint", "page", "subscriber"
    )
    return list(held.order_by("next_attempt_at", "id"))  # sent in the order they fell due, as claimed


def send_due(kind: str, budget_seconds: float = 20.0, *, lane: str | None = None) -> int:
    """Send due rows of channel KIND in LANE, batch after batch, for about BUDGET_SECONDS. Returns rows handled.

    At the task's soft time limit (SoftTimeLimitExceeded, raised wherever the task is) it stops
    claiming and returns: deliver() has already written what was heard and put back what was not.
    """
    channel = get_channel(kind)
    deadline = time.monotonic() + budget_seconds
    handled = 0
    try:
        while time.monotonic() < deadline:
            rows = claim(kind, channel.max_batch, lane=lane)
            if not rows:
                break
            handled += len(rows)
            deliver(channel, rows)
    except SoftTimeLimitExceeded:
        logger.warning("Sending %s (%s lane) stopped at the task's time limit", kind, lane or "any")
    return handled


# What a row still held at the soft time limit records: a transient failure, retried after its back-off.
STOPPED = "Stopped by the send task's time limit before an answer came; it will be tried again."


def deliver(channel, rows: list[Notification]) -> None:
    """Send ROWS (claimed by this send) and record each outcome as it comes.

    At the soft time limit the outcomes heard so far are written and every row still held is
    put back in the queue (STOPPED), so none is left waiting for the lease. Only a message in
    flight at that moment can go twice: its provider may have taken it without our hearing.
    """
    live = _drop_answered_pages(rows)
    by_id = {row.pk: row for row in live}
    recorder = Recorder(live)
    outcomes = channel.deliver(_message(row) for row in live)
    try:
        for message, outcome in outcomes:
            recorder.add(by_id[message.id], outcome)
        recorder.flush()
    except SoftTimeLimitExceeded as stop:
        # A concurrent channel starts no more messages and still hands over what those in flight heard
        # (channels.base.ConcurrentChannel.deliver): recorded here, so none of them is sent twice.
        for message, outcome in _rest(outcomes, stop):
            recorder.add(by_id[message.id], outcome)
        recorder.give_back(by_id, STOPPED)
        raise


def _rest(outcomes, stop: BaseException):
    """What a stopped channel still yields once told to stop (nothing from a plain generator that the
    exception already ended)."""
    throw = getattr(outcomes, "throw", None)
    if throw is None:
        return
    try:
        item = throw(stop)
        while True:
            yield item
            item = next(outcomes)
    except (SoftTimeLimitExceeded, StopIteration):
        return


def _drop_answered_pages(rows: list[Notification]) -> list[Notification]:
    """A page row waiting on its delay is not sent once the page is acknowledged or the incident moved on."""
    answered = [row for row in rows if row.page_id and row.page.answered]
    if answered:
        Notification.objects.filter(pk__in=[r.pk for r in answered], state=State.SENDING).update(
            state=State.CANCELLED, claim=None, error="The page was answered before this was due."
        )
    return [row for row in rows if row not in answered]


def _message(row: Notification) -> Message:
    """What the channel sends for ROW. The credentials in it are rendered here, at send time, for its
    recipient only: a row stores placeholders (incidents.paging.ACK_LINK, messages.ACK_CODE,
    subscriptions.MANAGE_LINK), so the Outbox page and the API never show anyone else's link or code."""
    body, ack_url, token = row.body, "", ""
    if row.page_id:
        body = paging.render_ack_link(body, row.page)
        if row.ack_code:
            body = body.replace(messages.ACK_CODE, row.ack_code)
        if row.medium == "voice":
            token = paging.ack_token(row.page)
            ack_url = settings.VIGIL_BASE_URL + reverse("comms:voice_ack", args=[token])
    secret, personal = "", ""
    if row.endpoint_id:
        secret = row.endpoint.secret
    elif row.subscriber_id:
        # A subscriber's webhook is signed with its own key (every URL obeys vigil.http's address rule).
        secret = row.subscriber.secret
        personal = subscriptions.manage_url(row.subscriber)
        body = subscriptions.render_manage_link(body, personal)
    return Message(
        id=row.pk,
        medium=row.medium,
        destination=row.destination,
        body=body,
        subject=row.subject,
        secret=secret,
        ack_url=ack_url,
        ack_token=token,
        # SendGrid sends one text to 1,000 subscribers with this as each one's substitution.
        personal=personal if personal and personal in body else "",
        page_id=row.page_id,
    )


# --- Recovery -----------------------------------------------------------------------


def requeue_stalled(now=None, *, lane: str | None = None, lease: float | None = None) -> int:
    """Hand back rows of LANE held in `sending` whose worker has not been heard from for the lease
    (LEASE seconds, else VIGIL_COMMS_SENDING_LEASE): it died or hung.

    The provider may have taken some of them (the answer was lost with the worker), so
    these few may go twice; a row whose acceptance was recorded is never touched.
    """
    now = now or timezone.now()
    lease = timedelta(seconds=lease if lease is not None else settings.VIGIL_COMMS_SENDING_LEASE)
    stalled = Notification.objects.filter(in_lane(lane), state=State.SENDING, claimed_at__lt=now - lease)
    return stalled.update(state=State.QUEUED, claim=None, next_attempt_at=now, error="Worker lost while sending")


def due_channels(now=None, *, lane: str | None = None) -> list[str]:
    """The channels with due queued rows in LANE (both lanes when None)."""
    now = now or timezone.now()
    due = Notification.objects.filter(in_lane(lane), state=State.QUEUED, next_attempt_at__lte=now)
    return sorted(set(due.values_list("channel", flat=True).distinct()))


def unplanned_updates(older_than: float = 30.0) -> list[int]:
    cutoff = timezone.now() - timedelta(seconds=older_than)
    return list(Fanout.objects.filter(planned_at=None, created_at__lt=cutoff).values_list("update_id", flat=True))
