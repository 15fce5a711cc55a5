"""SMS and voice that survive a provider's outage: providers tried in order, the next one once.

A row whose channel is sms_failover or voice_failover (comms.channels.channel_for, when more than one
provider is configured for its medium) goes by the first provider in VIGIL_SMS_PROVIDERS /
VIGIL_VOICE_PROVIDERS that is not spent for it. A provider is spent for a row after:
- a permanent refusal (an invalid number for that provider, bad keys, a 4xx): the next one at once;
- a timeout or a lost connection (nothing heard: it may have the message): the next one at once;
- VIGIL_FAILOVER_AFTER_ATTEMPTS refusals that may pass (5xx, 429, a throttled status), each retried
  by the outbox with its back-off until then: the next one at once after the last;
- a failed or undelivered report within VIGIL_FAILOVER_CALLBACK_SECONDS of its send (take_report):
  the row is queued again for the next provider, once; a later or repeated report changes nothing.
When every provider is spent the row fails, its error listing each attempt.

The guarantee: at most once per provider, whatever crashes. Each call is a DeliveryAttempt row,
written (and committed) before the call, with outcome `started`; a partial unique constraint allows
one attempt per (row, provider) among the outcomes after which the provider may have the message
(models.failover.MAYBE_SENT). A worker killed after writing it, whether before the call, during it or
after the provider accepted but before the outcome was written, leaves `started`: when the lease
hands the row back, that provider counts as spent and the row goes to the next provider; a second
call to the first is refused by the database even from a worker that outlived its lease. So a crash
may cost a provider (the person may then get the message through two providers, once each) but never
sends twice through one; and nothing is lost while a provider is left, as the outbox's lease returns
the row. Attempt rows are written by the thread sending, so this channel sends one message at a time.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .channels import CHANNELS, base
from .channels.base import Channel, DeliveryError, Message
from .channels.providers import FAILOVER_KINDS, PROVIDERS, order
from .models import DeliveryAttempt, Notification, Outcome, State

logger = logging.getLogger(__name__)

# A row is queued again for the next provider from these states only (a report may come before the
# worker wrote "sent"); a delivered, bounced or cancelled row stays as it is.
REQUEUE_FROM = (State.SENDING, State.SENT)


class FailoverChannel(Channel):
    medium = ""
    max_batch = 50

    def __init__(self):
        self.channels: dict[str, Channel] = {}

    def provider(self, name: str) -> Channel:
        if name not in self.channels:
            self.channels[name] = PROVIDERS[self.medium][name][0]()
        return self.channels[name]

    def send(self, message: Message) -> str:
        for name in order(self.medium):
            if spent(message.id, name):
                continue
            attempt = begin(message.id, name)
            if attempt is None:
                continue  # another attempt that may have reached it exists: never twice through one provider
            outcome = self.call(name, message)
            finish(attempt, outcome)
            if not isinstance(outcome, DeliveryError):
                return outcome
            if not spent(message.id, name):
                raise outcome  # may pass: the outbox retries this provider after its back-off
        raise DeliveryError(summary(message.id), permanent=True)

    def call(self, name: str, message: Message) -> str | DeliveryError:
        """What NAME said: its id, a DeliveryError it gave, or an Unheard one when nothing was heard."""
        try:
            return self.provider(name).send(message)
        except DeliveryError as exc:
            return exc
        except base.TRANSIENT_ERRORS as exc:
            return Unheard(f"{name}: no answer: {type(exc).__name__}: {exc}"[:1000])


class Unheard(DeliveryError):
    """A timeout or a lost connection: the provider may have the message."""


class SmsFailoverChannel(FailoverChannel):
    kind = FAILOVER_KINDS["sms"]
    medium = "sms"


class VoiceFailoverChannel(FailoverChannel):
    kind = FAILOVER_KINDS["voice"]
    medium = "voice"


def spent(row_id: int, name: str) -> bool:
    attempts = list(
        DeliveryAttempt.objects.filter(notification_id=row_id, provider=name).values_list("outcome", flat=True)
    )
    refused = sum(outcome == Outcome.REFUSED for outcome in attempts)
    return refused >= settings.VIGIL_FAILOVER_AFTER_ATTEMPTS or any(o != Outcome.REFUSED for o in attempts)


def begin(row_id: int, name: str) -> DeliveryAttempt | None:
    """The attempt row, committed before the call; None when the constraint says NAME may have it already."""
    try:
        with transaction.atomic():
            return DeliveryAttempt.objects.create(notification_id=row_id, provider=name)
    except IntegrityError:
        return None


def finish(attempt: DeliveryAttempt, outcome: str | DeliveryError) -> None:
    if isinstance(outcome, Unheard):
        changes = {"outcome": Outcome.UNKNOWN, "error": outcome.reason}
    elif isinstance(outcome, DeliveryError):
        changes = {"outcome": Outcome.FAILED if outcome.permanent else Outcome.REFUSED, "error": outcome.reason}
    else:
        changes = {"outcome": Outcome.ACCEPTED, "provider_id": outcome[:100]}
    # Only from `started`: a report that came first (take_report) stands.
    DeliveryAttempt.objects.filter(pk=attempt.pk, outcome=Outcome.STARTED).update(**changes)


def summary(row_id: int) -> str:
    attempts = DeliveryAttempt.objects.filter(notification_id=row_id)
    lines = [f"{a.provider}: {a.get_outcome_display()}" + (f" ({a.error[:200]})" if a.error else "") for a in attempts]
    return ("Every provider failed. " + "; ".join(lines))[:1000]


def take_report(row_id: int, provider: str, state: str, provider_id: str = "", error: str = "", now=None) -> bool:
    """A provider's report on a failover row. True when it was handled here (comms.delivery must not apply it).

    A report about an attempt that is not the row's live one (a provider failed over from) is dropped.
    A failed or undelivered report within VIGIL_FAILOVER_CALLBACK_SECONDS of its send, with a provider
    left, marks the attempt undelivered and queues the row again: once, since only an `accepted` or
    `started` attempt moves. Any other report is the outbox's (False).
    """
    row = Notification.objects.filter(pk=row_id).values("channel", "medium").first()
    if row is None or row["channel"] not in FAILOVER_KINDS.values():
        return False
    live = DeliveryAttempt.objects.filter(notification_id=row_id).order_by("-started_at", "-id").first()
    if live is None or live.provider != provider or (provider_id and live.provider_id not in ("", provider_id)):
        logger.info("Ignored a %s report from %s for notification %s: not its live attempt", state, provider, row_id)
        return True
    if state not in (State.FAILED, State.BOUNCED):
        return False
    now = now or timezone.now()
    window = timedelta(seconds=settings.VIGIL_FAILOVER_CALLBACK_SECONDS)
    left = [name for name in order(row["medium"]) if name != provider and not spent(row_id, name)]
    if now - live.started_at > window or not left:
        return False
    with transaction.atomic():
        moved = DeliveryAttempt.objects.filter(pk=live.pk, outcome__in=(Outcome.STARTED, Outcome.ACCEPTED)).update(
            outcome=Outcome.UNDELIVERED, error=error[:1000]
        )
        if moved:
            Notification.objects.filter(pk=row_id, state__in=REQUEUE_FROM).update(
                state=State.QUEUED,
                claim=None,
                next_attempt_at=now,
                sent_at=None,
                provider_id="",
                error=f"{error or provider + ': ' + state}; trying {left[0]}"[:1000],
            )
    return True


# Registered here, not in comms.channels, which knows no models (comms.apps imports this module).
CHANNELS.update({cls.kind: cls for cls in (SmsFailoverChannel, VoiceFailoverChannel)})
