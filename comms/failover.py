"""SMS and voice that survive a provider's outage: providers tried in order, the next one once.

A row whose channel is sms_failover or voice_failover (comms.channels.channel_for, when more than one
provider is configured for its medium) goes by the first provider in VIGIL_SMS_PROVIDERS /
VIGIL_VOICE_PROVIDERS that is not spent for it. A provider is spent for a row after:
- a permanent refusal (an invalid number for that provider, bad keys, a 4xx): the next one at once;
- a timeout or a lost connection (nothing heard: it may have the message): the next one at once;
- VIGIL_FAILOVER_AFTER_ATTEMPTS refusals that may pass (5xx, 429, a throttled status), each retried
  by the outbox with its back-off until then: the next one at once after the last;
- a failed or undelivered report within VIGIL_FAILOVER_CALLBACK_SECONDS of its send (take_report): an
  SMS's receipt, or a call's status (Twilio's no-answer, busy, failed, canceled; Vonage's unanswered, busy,
  failed, rejected, timeout, cancelled): the row is queued again for the next provider, once, unless its
  page was answered meanwhile; a later or repeated report changes nothing. A call answered never fails over.
When every provider is spent the row fails, its error listing each attempt.
A provider that refuses everything is passed over: each provider has a circuit breaker (the comms one,
VIGIL_COMMS_BREAKER_FAILURES answers in a row that may pass, or no answer, open it for
VIGIL_COMMS_BREAKER_COOL_OFF seconds, shared by every worker through the cache), and while it is open a
row goes straight to its next provider left, without spending its tries there first; a provider whose
breaker is open is still tried when it is the last one left.

The guarantee: at most once per provider, whatever crashes. Each call is a DeliveryAttempt row,
written (and committed) before the call, with outcome `started`; a partial unique constraint allows
one attempt per (row, provider) among the outcomes after which the provider may have the message
(models.failover.MAYBE_SENT). A worker killed after writing it, whether before the call, during it or
after the provider accepted but before the outcome was written, leaves `started`: when the lease
hands the row back, that provider counts as spent and the row goes to the next provider; a second
call to the first is refused by the database even from a worker that outlived its lease. So a crash
may cost a provider (the person may then get the message through two providers, once each) but never
sends twice through one; and nothing is lost while a provider is left, as the outbox's lease returns
the row.

A batch goes at once, in rounds, and the guarantee holds because every database write stays in the
task's own thread (channels.base.ConcurrentChannel). A round: prepare() picks each row's first
provider not spent and writes all their `started` attempts in one transaction, committed before any
thread starts (a row whose insert the constraint refuses, another worker's attempt being in flight,
takes its next provider; a row with none left fails); then the pool's threads make the calls only,
each provider within its own rate (Twilio's VIGIL_TWILIO_RATE) and no more at once than
VIGIL_TWILIO_CONCURRENCY; settle() writes each outcome as it comes. A row whose provider is now spent
goes into the next round of the same deliver() (the next provider at once, as before), so a batch
takes at most one round per provider. Stopped by the task's time limit, the outcomes heard are
written and a `started` attempt whose call never began is deleted (its provider is not spent); one
whose call began stays `started`, as after a crash.
"""

import logging
from collections.abc import Iterable, Iterator
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from . import delivery
from .channels import CHANNELS, base
from .channels.base import Channel, ConcurrentChannel, DeliveryError, Message, RateLimiter
from .channels.providers import FAILOVER_KINDS, PROVIDERS, order
from .models import DeliveryAttempt, Notification, Outcome, State

logger = logging.getLogger(__name__)

# A row is queued again for the next provider from these states only (a report may come before the
# worker wrote "sent"); a delivered, bounced or cancelled row stays as it is.
REQUEUE_FROM = (State.SENDING, State.SENT)


class FailoverChannel(ConcurrentChannel):
    medium = ""
    max_batch = 50

    def __init__(self):
        self.channels: dict[str, Channel] = {}
        self.concurrency = settings.VIGIL_TWILIO_CONCURRENCY

    def provider(self, name: str) -> Channel:
        if name not in self.channels:
            self.channels[name] = PROVIDERS[self.medium][name][0]()
        return self.channels[name]

    def deliver(self, messages: Iterable[Message]) -> Iterator[tuple[Message, str | DeliveryError]]:
        """Rounds of ConcurrentChannel.deliver until no row has a next provider to go to now."""
        names = order(self.medium)
        # Made here, in the calling thread, and kept for every round: each provider's own rate.
        self.limiters = {name: RateLimiter(getattr(self.provider(name), "rate", 0.0)) for name in names}
        self.limiters[""] = RateLimiter(0)
        batch = list(messages)
        while batch:
            self.again: dict[int, Message] = {}
            yield from self.round(batch)
            batch = list(self.again.values())

    def round(self, batch: list[Message]) -> Iterator[tuple[Message, str | DeliveryError]]:
        """Yield what BATCH heard, but for the rows settle() moved on to their next provider."""
        outcomes = super().deliver(batch)
        try:
            for message, outcome in outcomes:
                if message.id not in self.again:
                    yield message, outcome
        except Exception as stop:  # thrown in at a yield (comms.outbox.deliver) or raised while sending
            try:
                for message, outcome in rest(outcomes, stop):
                    if message.id not in self.again:
                        yield message, outcome
            finally:
                self.release_unstarted()
            raise

    def prepare(self, messages: list[Message]) -> None:
        """Each row's provider, its `started` attempt committed before any thread starts (module docstring)."""
        names = order(self.medium)
        self.assigned: dict[int, tuple[str, DeliveryAttempt]] = {}
        self.verdicts: dict[int, DeliveryError] = {}
        self.started: set[int] = set()
        history = outcomes_by_provider([m.id for m in messages])
        # A provider refusing everything (its breaker open: base.breaker(), VIGIL_COMMS_BREAKER_*) is passed
        # over while a later one is left, so an outage does not cost every message its retries there first.
        down = {name for name in names if base.breaker().blocked_until(provider_key(self.medium, name)) is not None}
        with transaction.atomic():
            for message in messages:
                left = [n for n in names if not is_spent(history.get((message.id, n), []))]
                for name in [n for n in left if n not in down] or left:
                    attempt = begin(message.id, name)  # a savepoint: a refused insert leaves the others
                    if attempt is not None:
                        self.assigned[message.id] = (name, attempt)
                        break
        for message in messages:
            if message.id not in self.assigned:
                self.verdicts[message.id] = DeliveryError(summary(message.id), permanent=True)

    def limiter_for(self, message: Message) -> RateLimiter:
        name, _ = self.assigned.get(message.id, ("", None))
        return self.limiters[name]

    def attempt(self, message: Message) -> str | DeliveryError:
        """On a pool thread: the call only (no database)."""
        if message.id in self.verdicts:
            return self.verdicts[message.id]
        name, _ = self.assigned[message.id]
        self.started.add(message.id)
        return self.call(name, message)

    def settle(self, message: Message, outcome: str | DeliveryError) -> None:
        if message.id not in self.assigned:
            return
        name, attempt = self.assigned[message.id]
        finish(attempt, outcome)
        guard, key = base.breaker(), provider_key(self.medium, name)
        if isinstance(outcome, DeliveryError) and not outcome.permanent:
            guard.failed(key)  # a 5xx, a 429 or nothing heard: one more in a row
        else:
            guard.succeeded(key)  # an answer: the provider is up
        if isinstance(outcome, DeliveryError) and spent(message.id, name):
            self.again[message.id] = message  # the next provider at once, in the next round

    def release_unstarted(self) -> None:
        """Stopped: an attempt whose call never began did not spend its provider."""
        unstarted = [a.pk for row_id, (_, a) in self.assigned.items() if row_id not in self.started]
        DeliveryAttempt.objects.filter(pk__in=unstarted, outcome=Outcome.STARTED).delete()

    def call(self, name: str, message: Message) -> str | DeliveryError:
        """What NAME said: its id, a DeliveryError it gave, or an Unheard one when nothing was heard."""
        try:
            return self.provider(name).send(message)
        except DeliveryError as exc:
            return exc
        except base.TRANSIENT_ERRORS as exc:
            return Unheard(f"{name}: no answer: {type(exc).__name__}: {exc}"[:1000])


def provider_key(medium: str, name: str) -> str:
    """The circuit breaker's key for provider NAME of MEDIUM: one breaker for all its messages."""
    return f"provider:{medium}:{name}"


class Unheard(DeliveryError):
    """A timeout or a lost connection: the provider may have the message."""


class SmsFailoverChannel(FailoverChannel):
    kind = FAILOVER_KINDS["sms"]
    medium = "sms"


class VoiceFailoverChannel(FailoverChannel):
    kind = FAILOVER_KINDS["voice"]
    medium = "voice"


def spent(row_id: int, name: str) -> bool:
    return is_spent(
        DeliveryAttempt.objects.filter(notification_id=row_id, provider=name).values_list("outcome", flat=True)
    )


def is_spent(outcomes: Iterable[str]) -> bool:
    """Whether a provider with these attempt OUTCOMES for a row may not be called for it again."""
    outcomes = list(outcomes)
    refused = sum(outcome == Outcome.REFUSED for outcome in outcomes)
    return refused >= settings.VIGIL_FAILOVER_AFTER_ATTEMPTS or any(o != Outcome.REFUSED for o in outcomes)


def outcomes_by_provider(row_ids: list[int]) -> dict[tuple[int, str], list[str]]:
    found: dict[tuple[int, str], list[str]] = {}
    rows = DeliveryAttempt.objects.filter(notification_id__in=row_ids).values_list(
        "notification_id", "provider", "outcome"
    )
    for row_id, name, outcome in rows:
        found.setdefault((row_id, name), []).append(outcome)
    return found


def rest(outcomes: Iterator, stop: BaseException) -> Iterator:
    """What a stopped ConcurrentChannel.deliver still yields once STOP is thrown in (it raises STOP after)."""
    try:
        item = outcomes.throw(stop)
        while True:
            yield item
            item = next(outcomes)
    except StopIteration:
        return


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
    """A provider's report on a failover row, an SMS's receipt or a call's status alike. True when it was
    handled here (comms.delivery must not apply it).

    A report about an attempt that is not the row's live one (a provider failed over from) is dropped.
    A failed or undelivered report (an SMS undelivered; a call unanswered, busy, failed) within
    VIGIL_FAILOVER_CALLBACK_SECONDS of its send marks the attempt undelivered and, with a provider left,
    queues the row again for it: once, since only an `accepted` or `started` attempt moves. With none left,
    or once the page is answered (incidents Page.answered: acknowledged by any way, or its incident moved
    on), the row takes the reported state with an error saying why nothing more was tried (_give_up).
    Any other report, a late one, or one about a row already delivered, cancelled or failed is the
    outbox's (False).
    """
    row = Notification.objects.filter(pk=row_id).select_related("page__incident").first()
    if row is None or row.channel not in FAILOVER_KINDS.values():
        return False
    live = DeliveryAttempt.objects.filter(notification_id=row_id).order_by("-started_at", "-id").first()
    if live is None or live.provider != provider or (provider_id and live.provider_id not in ("", provider_id)):
        logger.info("Ignored a %s report from %s for notification %s: not its live attempt", state, provider, row_id)
        return True
    if state not in (State.FAILED, State.BOUNCED) or row.state not in (State.QUEUED, *REQUEUE_FROM):
        return False  # a call answered (delivered) stays so; a stray failure after it is the outbox's rule
    now = now or timezone.now()
    if now - live.started_at > timedelta(seconds=settings.VIGIL_FAILOVER_CALLBACK_SECONDS):
        return False
    error = error or f"{provider}: {state}"
    left = [name for name in order(row.medium) if name != provider and not spent(row_id, name)]
    if not left or (row.page_id and row.page.answered):
        return _give_up(row_id, live, state, error, left)
    with transaction.atomic():
        if _undelivered(live, error):
            Notification.objects.filter(pk=row_id, state__in=REQUEUE_FROM).update(
                state=State.QUEUED,
                claim=None,
                next_attempt_at=now,
                sent_at=None,
                provider_id="",
                error=f"{error}; trying {left[0]}"[:1000],
            )
    return True


def _undelivered(live: DeliveryAttempt, error: str) -> int:
    """Mark the live attempt undelivered: only from `started` or `accepted`, so a repeated report moves nothing."""
    return DeliveryAttempt.objects.filter(pk=live.pk, outcome__in=(Outcome.STARTED, Outcome.ACCEPTED)).update(
        outcome=Outcome.UNDELIVERED, error=error[:1000]
    )


def _give_up(row_id: int, live: DeliveryAttempt, state: str, error: str, left: list[str]) -> bool:
    """No next provider for the row: none is left, or the page was answered. It takes the reported state (by
    comms.delivery's transitions), its error listing each attempt or naming the acknowledgement."""
    with transaction.atomic():
        if _undelivered(live, error):
            why = f"{error}; not sent on to {left[0]}: the page was answered." if left else summary(row_id)
            delivery.apply([(row_id, "", delivery.Report(state, live.provider_id, why))])
    return True


# Registered here, not in comms.channels, which knows no models (comms.apps imports this module).
CHANNELS.update({cls.kind: cls for cls in (SmsFailoverChannel, VoiceFailoverChannel)})
