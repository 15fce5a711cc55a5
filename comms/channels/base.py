"""The one small interface every channel follows (after Healthchecks' transports).

A channel takes a batch of Messages and yields, for each, what the provider said: the
provider's id for an accepted message, or a DeliveryError that says whether trying
again could help (permanent=False) and when (retry_after, from the provider's
Retry-After). The outbox (comms.outbox) turns that into state changes and retries.

A channel whose destination is a URL (webhook, Slack, Mastodon) goes through a circuit
breaker per destination host:port (vigil.breaker, configured here): after
VIGIL_COMMS_BREAKER_FAILURES failures or timeouts in a row, messages to it are not tried
for VIGIL_COMMS_BREAKER_COOL_OFF seconds (NotAttempted: the outbox reschedules them and
says why), then one trial goes. One dead or slow receiver then costs no more worker time.
"""

import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from django.conf import settings

from vigil.breaker import Breaker
from vigil.http import parse_retry_after

# Errors a network call raises when nothing conclusive was heard: worth another try.
# requests', urllib's, smtplib's and socket's errors are all OSErrors; a channel that can
# tell a permanent one (an SMTP 5xx) catches it first.
TRANSIENT_ERRORS = (OSError,)


@dataclass(frozen=True, slots=True)
class Message:
    """What one outbox row asks a channel to send. `id` is the row's primary key."""

    id: int
    medium: str
    destination: str
    body: str
    subject: str = ""
    secret: str = ""
    ack_url: str = ""
    # A page's signed acknowledge token (incidents.paging.ack_token): a voice channel builds its own key-press URL.
    ack_token: str = ""
    # The part of BODY that is this recipient's own (a subscriber's manage link): a batching channel
    # sends one text with a substitution for it, so subscribers still go 1,000 to a request.
    personal: str = ""
    # A page's row: the page it delivers (a Slack DM's buttons name it, chat.slack.pages).
    page_id: int | None = None


class DeliveryError(Exception):
    def __init__(self, reason: str, *, permanent: bool = False, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.retry_after = retry_after


class NotAttempted(DeliveryError):
    """The message was not sent at all (its destination's breaker is open): queue it again UNTIL, uncounted."""

    def __init__(self, reason: str, *, until: datetime):
        super().__init__(reason)
        self.until = until


def destination_key(destination: str) -> str:
    """The host:port of a URL destination, the unit the circuit breaker counts in; "" for an address or a number."""
    try:
        parts = urlsplit(destination)
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ""
    return f"{parts.hostname}:{port}"


def breaker() -> Breaker:
    """The comms breaker, read from settings at each use (so tests and a changed setting take effect)."""
    return Breaker("comms", settings.VIGIL_COMMS_BREAKER_FAILURES, settings.VIGIL_COMMS_BREAKER_COOL_OFF)


def error_for_status(status: int, reason: str, retry_after: str | None = None) -> DeliveryError:
    """429, 408 and 5xx may pass; any other refusal will not."""
    transient = status in (408, 429) or status >= 500
    return DeliveryError(
        f"HTTP {status}: {reason}"[:1000], permanent=not transient, retry_after=parse_retry_after(retry_after)
    )


class Channel:
    """Send messages one after another. Subclasses implement send(); batching ones override deliver()."""

    kind = ""
    # How many rows the outbox hands deliver() at once.
    max_batch = 100

    def send(self, message: Message) -> str:
        """Send MESSAGE; return the provider's id for it. Raise DeliveryError when refused."""
        raise NotImplementedError

    def attempt(self, message: Message) -> str | DeliveryError:
        """Send MESSAGE unless its destination's breaker is open, and tell the breaker how it went.

        A transient failure (timeout, refused connection, 429, 5xx) counts against the destination;
        an acceptance or a permanent refusal is an answer, and closes its breaker.
        """
        key = self.breaker_key(message.destination)
        if not key:
            return self._attempt(message)
        guard = breaker()
        until = guard.blocked_until(key)
        if until is not None:
            when = datetime.fromtimestamp(until, UTC)
            reason = (
                f"Not tried: {key} failed or timed out {guard.threshold} times in a row; "
                f"next try after {when:%H:%M:%S} UTC."
            )
            return NotAttempted(reason, until=when)
        outcome = self._attempt(message)
        if isinstance(outcome, DeliveryError) and not outcome.permanent:
            guard.failed(key)
        else:
            guard.succeeded(key)
        return outcome

    def breaker_key(self, destination: str) -> str:
        """The unit DESTINATION's failures are counted in ("": no breaker). A channel whose URLs are not
        http(s) (Apprise) says its own."""
        return destination_key(destination)

    def _attempt(self, message: Message) -> str | DeliveryError:
        try:
            return self.send(message)
        except DeliveryError as exc:
            return exc
        except TRANSIENT_ERRORS as exc:
            return DeliveryError(f"{type(exc).__name__}: {exc}"[:1000])

    def deliver(self, messages: Iterable[Message]) -> Iterator[tuple[Message, str | DeliveryError]]:
        for message in messages:
            yield message, self.attempt(message)


class RateLimiter:
    """At most RATE starts a second across this process's threads (0: no limit)."""

    def __init__(self, rate: float):
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.next_start = time.monotonic()
        self.lock = threading.Lock()

    def wait(self, stop: threading.Event | None = None) -> bool:
        """Wait for this thread's turn; False when STOP was set meanwhile (then it must not start)."""
        if self.interval:
            with self.lock:
                now = time.monotonic()
                start = max(now, self.next_start)
                self.next_start = start + self.interval
            if start > now:
                if stop is None:
                    time.sleep(start - now)
                elif stop.wait(start - now):
                    return False
        return stop is None or not stop.is_set()


class ConcurrentChannel(Channel):
    """Send several messages at once on a thread pool, within a messages-per-second rate."""

    concurrency = 8
    rate = 0.0

    def prepare(self, messages: list[Message]) -> None:
        """Before any thread starts, in the calling thread: load what sending needs from the database,
        so send() (on the pool's threads) makes network calls only and opens no connection of its own."""

    def settle(self, message: Message, outcome: str | DeliveryError) -> None:
        """In the calling thread, as each outcome comes: database writes an outcome calls for."""

    def limiter_for(self, message: Message) -> RateLimiter:
        """The rate MESSAGE waits its turn under: the channel's own (comms.failover: its provider's)."""
        return self.limiter

    def deliver(self, messages: Iterable[Message]) -> Iterator[tuple[Message, str | DeliveryError]]:
        """Yield each message's outcome as it comes. Stopped (the task's soft time limit, raised here while
        waiting or thrown in at a yield by comms.outbox.deliver): no message starts any more (one waiting
        for its turn under the rate gives up), the ones in flight finish, and their outcomes are still
        yielded before the exception goes on, so the outbox records them and never sends them again."""
        messages = list(messages)
        self.prepare(messages)
        self.limiter = RateLimiter(self.rate)
        stopping = threading.Event()

        def paced(message: Message):
            if not self.limiter_for(message).wait(stopping):
                return None  # never started
            return self.attempt(message)

        pool = ThreadPoolExecutor(max_workers=max(1, self.concurrency), thread_name_prefix=self.kind)
        futures: dict = {}
        answered: set = set()
        try:
            futures = {pool.submit(paced, message): message for message in messages}
            for future in as_completed(futures):
                answered.add(future)
                outcome = future.result()
                self.settle(futures[future], outcome)
                yield futures[future], outcome
        except Exception:
            stopping.set()
            pool.shutdown(wait=True, cancel_futures=True)
            for future, message in futures.items():
                if future in answered or future.cancelled() or future.exception() is not None:
                    continue
                if future.result() is not None:
                    self.settle(message, future.result())
                    yield message, future.result()
            raise
        finally:
            stopping.set()
            pool.shutdown(wait=True, cancel_futures=True)
