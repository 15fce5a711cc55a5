"""Heartbeat (push) monitors: pings in, overdue heartbeats out.

A job calls its monitor's ping URL (monitoring.ping_views) when it succeeds, starts or fails.

With Redis (settings.REDIS_URL) a ping costs one Redis round trip and no database query: a Lua
script checks the token against a set of known heartbeat tokens and adds the ping to a buffer
hash (a count, and the latest time of each kind, per token). flush_pings(), which the dispatcher
runs every second, moves the buffer into the database in bulk. The buffer is a
vigil.buffers.WriteBehindBuffer: a flush first renames the buffer key, atomically, so pings
arriving during a flush start a new buffer and wait for the next one; a batch whose database
write failed stays under its own key and is written first by the next flush.

A token missing from the set (its first ping, or Redis was emptied) is looked up in the database
once and then added. Unknown tokens are remembered by each process for a minute, so a flood of
bad URLs is not a flood of queries. A monitor deleted (or no longer a heartbeat) leaves the set
at the next flush, so its URL stops answering within about a second; pings it took meanwhile are
dropped, and counted as such.

Without Redis (SQLite, one machine) a ping is written to the database in the request: the same
code as a flush of one ping, correct and only slower. So is a ping that finds Redis down.

A paused monitor still answers 200 and keeps its last ping time (its page shows the job still
runs), but the ping changes no state and opens nothing: monitoring.recording drops outcomes for
paused monitors. Resuming it starts a fresh wait, as if it were new.
"""

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

import redis
from django.conf import settings
from django.db import transaction

from vigil.buffers import Flushed, WriteBehindBuffer
from vigil.db import bulk_set

from .heartbeat_schedule import next_deadline, overdue_reason
from .models import Monitor
from .recording import Observation, record_observations

logger = logging.getLogger(__name__)

FAILURE_REASON = "the job reported a failure"
# Unknown tokens remembered per process: how long, and how many before the memory is cleared.
UNKNOWN_TTL_SECONDS = 60
UNKNOWN_MAX = 10_000
# When heartbeats could not be judged (the pings could not be flushed), they are judged again after this.
JUDGE_RETRY = timedelta(seconds=10)

# KEYS: the set of known tokens, the buffer. ARGV: token, kind, epoch seconds, "1" when the
# caller just found the token in the database (it joins the set). Returns 0 for an unknown token.
RECORD_SCRIPT = """
if ARGV[4] == "1" then
    redis.call("SADD", KEYS[1], ARGV[1])
elseif redis.call("SISMEMBER", KEYS[1], ARGV[1]) == 0 then
    return 0
end
redis.call("HINCRBY", KEYS[2], ARGV[1] .. " n", 1)
local field = ARGV[1] .. " " .. ARGV[2]
local last = redis.call("HGET", KEYS[2], field)
if not last or tonumber(last) < tonumber(ARGV[3]) then
    redis.call("HSET", KEYS[2], field, ARGV[3])
end
return 1
"""


@dataclass
class Tally:
    """The pings of one token in a batch: how many, and the latest time of each kind."""

    pings: int = 0
    success: datetime | None = None
    start: datetime | None = None
    fail: datetime | None = None


class PingBuffer(WriteBehindBuffer):
    """Known tokens (a set) beside the buffer of pings (a count and the latest time of each kind, per token).

    A flush's Flushed counts pings (added), monitors (rows) and pings of tokens no heartbeat has (dropped).
    """

    label = "heartbeats"
    PREFIX = "vigil:{pings}:"
    socket_timeout = 5.0
    connect_timeout = 2.0

    def __init__(self, url: str, prefix: str):
        super().__init__(url, prefix)
        self.tokens_key = f"{prefix}tokens"
        self._record = self.client.register_script(RECORD_SCRIPT)

    def record(self, token: str, kind: str, at: float, *, known: bool = False) -> bool:
        """Buffer one ping; False when the token is not in the set (and KNOWN is not set)."""
        keys = [self.tokens_key, self.buffer_key]
        return bool(self.call(self._record, keys, [token, kind, f"{at:.6f}", int(known)]))

    def tallies(self, batch: dict[str, str]) -> dict[str, Tally]:
        """A batch (take()) by token."""
        tallies: dict[str, Tally] = {}
        for field, value in batch.items():
            token, kind = field.split(" ")
            tally = tallies.setdefault(token, Tally())
            if kind == "n":
                tally.pings = int(value)
            else:
                setattr(tally, kind, datetime.fromtimestamp(float(value), UTC))
        return tallies

    def done(self, forget: Iterable[str] = ()) -> None:
        """The batch is in the database: delete it, and drop the tokens FORGET from the set."""
        with self.client.pipeline() as pipe:
            pipe.delete(self.batch_key)
            if forget:
                pipe.srem(self.tokens_key, *forget)
            pipe.execute()

    def forget(self, token: str) -> None:
        self.client.srem(self.tokens_key, token)


_unknown: dict[str, float] = {}  # token -> monotonic time until which it is known to be unknown


def ping_buffer() -> PingBuffer | None:
    """This process's buffer for settings.REDIS_URL, or None without Redis."""
    url = settings.REDIS_URL
    return PingBuffer.get(url, PingBuffer.PREFIX) if url else None


# --- Pings in --------------------------------------------------------------------------------


def record_ping(token: UUID | str, kind: str = "success") -> bool:
    """Record a ping of KIND ("success", "start" or "fail"); False when no heartbeat has TOKEN."""
    token, at = str(token), time.time()
    if _is_known_unknown(token):
        return False
    buffer = ping_buffer()
    if buffer is not None:
        try:
            return _buffer_ping(buffer, token, kind, at)
        except redis.RedisError as exc:
            logger.warning("heartbeats: Redis unavailable (%s); writing a ping to the database directly", exc)
    tally = Tally(pings=1, **{kind: datetime.fromtimestamp(at, UTC)})
    flushed, _ = _write({token: tally})
    if not flushed.added:
        _remember_unknown(token)
    return bool(flushed.added)


def forget_token(token: str) -> None:
    """TOKEN is no heartbeat's any more (monitoring.services.do_rotate_ping_url): its pings answer 404 at once."""
    buffer = ping_buffer()
    if buffer is not None:
        try:
            buffer.forget(token)
        except redis.RedisError as exc:  # the set is rebuilt from the database; the next flush drops it too
            logger.warning("heartbeats: could not forget a rotated token: %s", exc)


def _buffer_ping(buffer: PingBuffer, token: str, kind: str, at: float) -> bool:
    if buffer.record(token, kind, at):
        return True
    if not Monitor.objects.filter(ping_token=token, kind=Monitor.Kind.HEARTBEAT).exists():
        _remember_unknown(token)
        return False
    return buffer.record(token, kind, at, known=True)


def _is_known_unknown(token: str) -> bool:
    until = _unknown.get(token)
    return until is not None and until > time.monotonic()


def _remember_unknown(token: str) -> None:
    if len(_unknown) >= UNKNOWN_MAX:
        _unknown.clear()  # cheaper than an LRU, and a flood of bad tokens is the only way here
    _unknown[token] = time.monotonic() + UNKNOWN_TTL_SECONDS


# --- Into the database -------------------------------------------------------------------------


def flush_pings(now: datetime | None = None) -> Flushed:
    """Move buffered pings into the database; returns what was moved. A no-op without Redis.

    A batch whose write failed stays in Redis (the error reaches the caller) and is written first by the next flush.
    """
    buffer = ping_buffer()
    if buffer is None:
        return Flushed()

    def write(batch: dict[str, str], lock) -> Flushed:
        flushed, gone = _write(buffer.tallies(batch), now)
        buffer.done(gone)
        return flushed

    try:
        return buffer.flush(write)
    except redis.RedisError as exc:
        logger.warning("heartbeats: could not flush pings: %s", exc)
        return Flushed(complete=False)


def _write(tallies: dict[str, Tally], now: datetime | None = None) -> tuple[Flushed, set[str]]:
    """Write a batch of pings in one transaction; returns what was written and the tokens no
    heartbeat has. Each monitor's last ping and start times move forward, never back, and each
    success or failure becomes an observation for the state machine."""
    with transaction.atomic():
        monitors = list(
            Monitor.objects.select_for_update(of=("self",))
            .filter(kind=Monitor.Kind.HEARTBEAT, ping_token__in=list(tallies))
            .order_by("pk")  # the lock order of monitoring.recording, so writers cannot deadlock
            .only("pk", "ping_token", "last_ping_at", "last_start_at")
        )
        observations: list[Observation] = []
        for monitor in monitors:
            tally = tallies[str(monitor.ping_token)]
            observations.extend(ping_observations(monitor, tally))
            monitor.last_ping_at = _latest(monitor.last_ping_at, tally.success, tally.fail)
            monitor.last_start_at = _latest(monitor.last_start_at, tally.start)
        bulk_set(monitors, ["last_ping_at", "last_start_at"])
        record_observations(observations, now=now)
    found = {str(monitor.ping_token) for monitor in monitors}
    gone = set(tallies) - found
    flushed = Flushed(
        added=sum(tallies[token].pings for token in found),
        rows=len(found),
        dropped=sum(tallies[token].pings for token in gone),
    )
    return flushed, gone


def _latest(*moments: datetime | None) -> datetime | None:
    return max((m for m in moments if m), default=None)


def ping_observations(monitor: Monitor, tally: Tally) -> list[Observation]:
    """A success is "up", a failure "down", in the order they came; a start is no outcome.

    The latency of each is the job's run time, when its start was pinged after the ping before it.
    """
    ends = sorted((at, kind) for kind, at in (("fail", tally.fail), ("success", tally.success)) if at)
    starts = [s for s in (monitor.last_start_at, tally.start) if s]
    previous = monitor.last_ping_at
    observations = []
    for at, kind in ends:
        began = max((s for s in starts if s <= at), default=None)
        ran = began is not None and (previous is None or began > previous)
        observations.append(
            Observation(
                monitor_id=monitor.pk,
                state="up" if kind == "success" else "down",
                checked_at=at,
                latency_ms=(at - began).total_seconds() * 1000 if ran else None,
                reason="" if kind == "success" else FAILURE_REASON,
            )
        )
        previous = at
    return observations


# --- Overdue heartbeats out ------------------------------------------------------------------


def overdue_observations(monitor_ids: Sequence[int], now: datetime) -> list[Observation]:
    """A "down" for each heartbeat in MONITOR_IDS (claimed by the dispatcher: its deadline came)
    that is still overdue once buffered pings are flushed; the others get their new deadline.

    If the pings could not be flushed, nothing is judged (a ping may be waiting in the buffer) and
    the heartbeats are looked at again shortly.
    """
    if not flush_pings(now).complete:
        Monitor.objects.filter(pk__in=monitor_ids).update(next_check_at=now + JUDGE_RETRY)
        return []
    monitors = Monitor.objects.filter(pk__in=monitor_ids, kind=Monitor.Kind.HEARTBEAT).exclude(
        state=Monitor.State.PAUSED
    )
    observations, waiting = [], []
    for monitor in monitors:
        deadline = next_deadline(monitor, now)
        if deadline <= now:
            reason = overdue_reason(monitor, now)
            observations.append(Observation(monitor.pk, "down", now, reason=reason, due_at=deadline))
        else:  # a ping came, or the schedule changed, since the claim
            monitor.next_check_at = deadline
            waiting.append(monitor)
    bulk_set(waiting, ["next_check_at"])
    return observations
