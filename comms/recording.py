"""Recording what providers said about the rows a send holds (comms.outbox.deliver): in groups, in few
statements, each outcome only on a row still held by this send.

Only a row whose provider answered "accepted" becomes `sent`; a refusal is retried after a jittered
back-off (retry_delay) or fails for good; a row a channel did not try goes back as it was.
"""

import random
import time
from collections import defaultdict
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from incidents.models import Page
from vigil.db import bulk_set

from .channels import DeliveryError
from .channels.base import NotAttempted
from .models import Notification, State

# Outcomes are written when this many have arrived or this many seconds have passed, and the waiting rows' lease
# renewed at most every RENEW_SECONDS (4 times a lease). SendGrid answers for 1,000 rows at once: they are written
# by one pair of statements, not ten (issue #23: a group of 100 made recording 60% of an email send). A kill still
# loses no more than the outcomes of the last FLUSH_SECONDS, which a one-at-a-time channel hears in fewer.
FLUSH_EVERY = 1000
FLUSH_SECONDS = 0.5
RENEW_SECONDS = 5.0


def retry_delay(attempts: int, retry_after: float | None) -> float:
    """Exponential back-off with jitter, never sooner than the provider's Retry-After."""
    base = settings.VIGIL_COMMS_RETRY_BASE
    cap = settings.VIGIL_COMMS_RETRY_CAP
    backoff = min(cap, base * 2 ** max(0, attempts - 1)) * random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not a secret
    return max(backoff, retry_after or 0.0)


class Recorder:
    """Collects outcomes and writes them in groups: a kill loses at most one group's acceptances.

    Writes also renew the lease of the batch's rows still waiting for an answer (RENEW_SECONDS), so
    requeue_stalled() takes back only rows whose worker has gone quiet, however long a
    rate-limited batch takes; never rows a live worker is still sending.
    """

    def __init__(self, rows: Iterable[Notification] = ()):
        self.pending: list[tuple[Notification, str | DeliveryError]] = []
        self.last_flush, self.last_renew = time.monotonic(), float("-inf")  # renewed at the first write
        self.waiting = {row.pk: row.claim for row in rows}
        self.renew_every = min(RENEW_SECONDS, settings.VIGIL_COMMS_SENDING_LEASE / 4)

    def add(self, row: Notification, outcome: str | DeliveryError) -> None:
        self.pending.append((row, outcome))
        self.waiting.pop(row.pk, None)
        if len(self.pending) >= FLUSH_EVERY or time.monotonic() - self.last_flush > FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            record(self.pending)
            if time.monotonic() - self.last_renew >= self.renew_every:
                self.renew()
        self.pending = []
        self.last_flush = time.monotonic()

    def give_back(self, by_id: dict[int, Notification], reason: str) -> None:
        """Write the outcomes heard, and record every row still waiting as a transient failure (REASON)."""
        self.pending += [(by_id[pk], DeliveryError(reason)) for pk in self.waiting if pk in by_id]
        self.waiting = {}
        self.flush()

    def renew(self) -> None:
        self.last_renew = time.monotonic()
        if self.waiting:
            Notification.objects.filter(
                pk__in=list(self.waiting), claim__in=set(self.waiting.values()), state=State.SENDING
            ).update(claimed_at=timezone.now())


@transaction.atomic
def record(outcomes: Iterable[tuple[Notification, str | DeliveryError]], now=None) -> None:
    """Write outcomes in a few statements: one UPDATE per shared value, a bulk one for per-row values."""
    now = now or timezone.now()
    outcomes = list(outcomes)
    held = set(
        Notification.objects.filter(
            pk__in=[row.pk for row, _ in outcomes], claim__in={row.claim for row, _ in outcomes}, state=State.SENDING
        ).values_list("pk", flat=True)
    )
    outcomes = [(row, outcome) for row, outcome in outcomes if row.pk in held]
    accepted = [(row, outcome) for row, outcome in outcomes if not isinstance(outcome, DeliveryError)]
    refused = [(row, outcome) for row, outcome in outcomes if isinstance(outcome, DeliveryError)]
    _record_accepted(accepted, now)
    _record_refused(refused, now)


def _record_accepted(accepted: list[tuple[Notification, str]], now) -> None:
    if not accepted:
        return
    ids_by_provider_id = defaultdict(list)
    for row, provider_id in accepted:
        ids_by_provider_id[provider_id[:100]].append(row.pk)
    # SendGrid: one id for a whole request, written by the statement that marks its rows sent.
    for provider_id, pks in ids_by_provider_id.items():
        if len(pks) > 1:
            Notification.objects.filter(pk__in=pks).update(provider_id=provider_id, **_sent_if_sending(now))
    own = [Notification(pk=pks[0], provider_id=pid) for pid, pks in ids_by_provider_id.items() if len(pks) == 1]
    bulk_set(own, ["provider_id"])
    Notification.objects.filter(pk__in=[row.pk for row in own]).update(**_sent_if_sending(now))
    pages = {row.page_id for row, _ in accepted if row.page_id}
    if pages:
        Page.objects.filter(pk__in=pages, status=Page.Status.PENDING).update(status=Page.Status.SENT)


def _sent_if_sending(now) -> dict:
    """What an accepted row's UPDATE sets: sent, at NOW, on a row still `sending` only (a provider's report,
    comms.delivery, may have moved it since it was read); any other row keeps its values."""
    field = Notification._meta.get_field
    sent = {"state": State.SENT, "sent_at": now, "error": "", "claim": None}
    return {
        name: Case(When(state=State.SENDING, then=Value(value, output_field=field(name))), default=F(name))
        for name, value in sent.items()
    }


def _record_refused(refused: list[tuple[Notification, DeliveryError]], now) -> None:
    _record_not_attempted([(row, error) for row, error in refused if isinstance(error, NotAttempted)])
    refused = [(row, error) for row, error in refused if not isinstance(error, NotAttempted)]
    max_attempts = settings.VIGIL_COMMS_MAX_ATTEMPTS
    failed, retried = defaultdict(list), defaultdict(list)
    for row, error in refused:
        final = error.permanent or row.attempts >= max_attempts
        (failed if final else retried)[error.reason[:1000]].append(row)
    for reason, rows in failed.items():
        Notification.objects.filter(pk__in=[r.pk for r in rows], state=State.SENDING).update(
            state=State.FAILED, error=reason, claim=None
        )
    for reason, rows in retried.items():
        Notification.objects.filter(pk__in=[r.pk for r in rows], state=State.SENDING).update(
            state=State.QUEUED, error=reason, claim=None
        )
    # Each row its own jittered moment, so a throttled batch does not come back all at once.
    later = [
        Notification(pk=row.pk, next_attempt_at=now + timedelta(seconds=retry_delay(row.attempts, error.retry_after)))
        for row, error in refused
        if not (error.permanent or row.attempts >= max_attempts)
    ]
    Notification.objects.bulk_update(later, ["next_attempt_at"], batch_size=500)


def _record_not_attempted(skipped: list[tuple[Notification, NotAttempted]]) -> None:
    """Rows a channel did not try (an open circuit breaker): queued again for when it may try, the
    reason shown on the Outbox page, and the attempt their claim counted given back."""
    groups = defaultdict(list)  # one statement per destination: its rows share the reason and the time
    for row, error in skipped:
        groups[(error.reason[:1000], error.until)].append(row.pk)
    for (reason, until), pks in groups.items():
        Notification.objects.filter(pk__in=pks, state=State.SENDING).update(
            state=State.QUEUED, claim=None, error=reason, next_attempt_at=until, attempts=F("attempts") - 1
        )
