"""What became of a message after the provider took it: Twilio's status callbacks, Vonage's delivery receipts
and call events, and SendGrid's event webhook.

A provider's report moves outbox rows forward only, by STATE_TRANSITIONS: a late or repeated
"sent" never undoes "delivered", and a bounce or a failure is final. A report may reach a row
before the worker wrote that the provider accepted it (the row is still `sending`), or after
the worker died and the row went back to `queued`: the provider has the message either way,
so the row takes the reported state and is never sent again. Reports naming rows this
install does not hold (another install on the same provider account, a deleted row) are
logged and ignored.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db.models import Case, DateTimeField, F, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from incidents.models import Page

from .channels.sendgrid import CUSTOM_ARG
from .models import STATE_TRANSITIONS, Notification, State

logger = logging.getLogger(__name__)

MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class Report:
    """A provider's word on a message: the state it reached, the provider's id for it, why it failed."""

    state: str
    provider_id: str = ""
    error: str = ""


# Twilio's MessageStatus (SMS) and CallStatus (voice call) values. Others ("receiving",
# "ringing", "in-progress") say nothing about delivery and are ignored: a call answered ends "completed".
# A call's busy, no-answer, failed or canceled may send it on to the next voice provider (comms.failover).
TWILIO_STATES = {
    "accepted": State.SENT,
    "queued": State.SENT,
    "sending": State.SENT,
    "sent": State.SENT,
    "delivered": State.DELIVERED,
    "read": State.DELIVERED,
    "undelivered": State.BOUNCED,  # the carrier or the handset refused it
    "failed": State.FAILED,  # Twilio could not send it
    "canceled": State.FAILED,
    "completed": State.DELIVERED,  # a call answered, by the person or their voicemail
    "busy": State.FAILED,
    "no-answer": State.FAILED,
}

# SendGrid's delivery events. "deferred" is SendGrid retrying a temporary refusal, not news for
# the row; opens, clicks and the account events are not about delivery.
SENDGRID_STATES = {
    "processed": State.SENT,
    "delivered": State.DELIVERED,
    "bounce": State.BOUNCED,
    "dropped": State.FAILED,  # never attempted: a suppressed or invalid address
}

# The status of a Vonage SMS delivery receipt. "accepted" and "buffered" are on the way; "unknown" says nothing.
VONAGE_STATES = {
    "accepted": State.SENT,
    "buffered": State.SENT,
    "delivered": State.DELIVERED,
    "expired": State.BOUNCED,  # the carrier gave up within the message's lifetime
    "failed": State.FAILED,
    "rejected": State.FAILED,
}

# The status of a Vonage Voice API call event (the event_url each call names). A call answered (by the
# person or their voicemail) is delivered; one that never was is failed, and may go to the next voice provider
# (comms.failover.take_report). "started", "ringing", "machine" and the rest say nothing about delivery.
VONAGE_CALL_STATES = {
    "answered": State.DELIVERED,
    "completed": State.DELIVERED,
    "unanswered": State.FAILED,
    "busy": State.FAILED,
    "failed": State.FAILED,
    "rejected": State.FAILED,
    "timeout": State.FAILED,
    "cancelled": State.FAILED,
}

# Reports of one batch are applied in this order, so the batch ends where its furthest report says
# whatever order the provider listed them in.
RANK = {State.SENT: 0, State.DELIVERED: 1, State.BOUNCED: 2, State.FAILED: 2}


def twilio_report(form: Mapping[str, str]) -> Report | None:
    """The report in a Twilio status callback (a message's or a call's), or None when it says nothing new."""
    status = form.get("MessageStatus") or form.get("SmsStatus") or form.get("CallStatus") or ""
    state = TWILIO_STATES.get(status)
    if state is None:
        return None
    sid = form.get("MessageSid") or form.get("SmsSid") or form.get("CallSid") or ""
    error = ""
    if state in (State.BOUNCED, State.FAILED):
        code = form.get("ErrorCode", "")
        error = f"Twilio: {status}" + (f" (error {code})" if code else "")
    return Report(state, sid[:100], error)


def vonage_report(fields: Mapping[str, str]) -> tuple[int, str, Report] | None:
    """(row id, number, report) from a Vonage SMS delivery receipt (its client-ref is the row id), or None."""
    state = VONAGE_STATES.get(str(fields.get("status") or ""))
    try:
        row_id = int(str(fields.get("client-ref") or ""))
    except ValueError:
        return None
    if state is None or not 0 < row_id <= MAX_ID:
        return None
    error = ""
    if state in (State.BOUNCED, State.FAILED):
        error = f"Vonage: {fields.get('status')} (error {fields.get('err-code', '?')})"
    msisdn = str(fields.get("msisdn") or "")
    number = f"+{msisdn}" if msisdn and not msisdn.startswith("+") else msisdn
    return row_id, number, Report(state, str(fields.get("messageId") or "")[:100], error)


def vonage_call_report(fields: Mapping) -> Report | None:
    """The report in a Vonage call event (JSON), or None when it says nothing about delivery. The row is
    named by the event URL's signed token (comms.channels.vonage_voice.event_url), not by the event."""
    status = str(fields.get("status") or "")
    state = VONAGE_CALL_STATES.get(status)
    if state is None:
        return None
    error = ""
    if state == State.FAILED:
        detail = str(fields.get("detail") or "")
        error = f"Vonage: call {status}" + (f" ({detail[:100]})" if detail else "")
    return Report(state, str(fields.get("uuid") or "")[:100], error)


def sendgrid_reports(events: Iterable) -> list[tuple[int, str, Report]]:
    """(row id, address, report) for each delivery event of an event webhook post that names an outbox row."""
    reports = []
    for event in events:
        if not isinstance(event, dict):
            continue
        state = SENDGRID_STATES.get(event.get("event"))
        if state is None:
            continue
        row_id = _row_id(event)
        if row_id is None:
            logger.info("Ignored a SendGrid %s event that names no outbox row", event.get("event"))
            continue
        # sg_message_id is the X-Message-Id of the request (what the send stored), a dot, then SendGrid's own part.
        provider_id = str(event.get("sg_message_id") or "").split(".")[0]
        error = ""
        if state in (State.BOUNCED, State.FAILED):
            error = f"SendGrid {event['event']}: {event.get('reason') or event.get('type') or 'no reason given'}"
        reports.append((row_id, str(event.get("email") or ""), Report(state, provider_id[:100], error)))
    return reports


def _row_id(event: dict) -> int | None:
    """The outbox row the send named in the personalization's custom args (comms.channels.sendgrid)."""
    unique_args = event.get("unique_args")
    value = event.get(CUSTOM_ARG) or (unique_args.get(CUSTOM_ARG) if isinstance(unique_args, dict) else None)
    try:
        row_id = int(str(value))
    except ValueError:
        return None
    return row_id if 0 < row_id <= MAX_ID else None


def apply(reports: Iterable[tuple[int, str, Report]], now=None) -> int:
    """Move each named row to its reported state where the table allows; return the rows moved.

    The address, when given, must be the row's destination: a report about a message to
    someone else (an id another install on the same provider account gave out) is ignored.
    """
    now = now or timezone.now()
    reports = list(reports)
    destinations = dict(
        Notification.objects.filter(pk__in={pk for pk, _, _ in reports}).values_list("pk", "destination")
    )
    by_report: dict[Report, list[int]] = defaultdict(list)
    for pk, address, report in reports:
        if pk not in destinations or (address and address.casefold() != destinations[pk].casefold()):
            logger.info("Ignored a %s report for notification %s: no such row to %s", report.state, pk, address)
            continue
        by_report[report].append(pk)
    return sum(_move(pks, report, now) for report, pks in sorted(by_report.items(), key=lambda i: RANK[i[0].state]))


def _move(pks: list[int], report: Report, now) -> int:
    sources = [state for state, targets in STATE_TRANSITIONS.items() if report.state in targets]
    changes = {
        "state": report.state,
        # A row still `sending` is no longer its worker's: comms.outbox.record then leaves it alone.
        "claim": None,
        "sent_at": Coalesce("sent_at", Value(now, output_field=DateTimeField())),
        "provider_id": Case(When(provider_id="", then=Value(report.provider_id)), default=F("provider_id")),
    }
    if report.state == State.DELIVERED:
        changes["delivered_at"] = now
    if report.error:
        changes["error"] = report.error[:1000]
    # One conditional UPDATE: a concurrent report or outcome cannot slip between a read and this write.
    moved = Notification.objects.filter(pk__in=pks, state__in=sources).update(**changes)
    if moved < len(pks):
        logger.debug("%d %s reports found their rows already further on", len(pks) - moved, report.state)
    if moved and report.state in (State.SENT, State.DELIVERED):
        paged = Notification.objects.filter(pk__in=pks, state=report.state, page__isnull=False).values("page_id")
        Page.objects.filter(pk__in=paged, status=Page.Status.PENDING).update(status=Page.Status.SENT)
    return moved
