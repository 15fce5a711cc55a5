"""The Redis side of alert ingestion: repeats of known firing alerts, counted in Redis and added to
the database in bulk.

Most webhooks repeat alerts Vigil already knows: Alertmanager resends every firing alert of
a group with each notification of it. With Redis (settings.REDIS_URL) and PostgreSQL, such a
payload costs one Redis round trip and no database query (paths/buffered.py): a Lua script adds
it to a buffer hash (a count and the latest time, per alert row). flush_repeats() adds the
buffer to the alert rows in one statement; beat runs it every few seconds (incidents.tasks), and
the pages that show the counts run it first (reads.py).

The database still decides everything else before the sender gets its 2xx: a new alert, a
resolution, an alert whose incident was closed or whose title or annotations changed. Redis
holds only what tells a plain repeat apart, and the script counts a payload only if all of
its alerts pass, else the request goes on to the database (the pipeline's next paths):

- a marker per (kind, token, fingerprint): alert id, incident id, the token's generation and
  a digest of the title and annotations, written after the database said the alert fires in
  an open incident. It lives MARKER_SECONDS, so a marker written from a database read is
  never older than that read by more than PRIME_MAX_AGE_SECONDS + MARKER_SECONDS.
- tombstones for alerts and incidents that stopped firing or closed (resolved, deleted,
  edited in the admin: receivers.py), written after their transaction commits and kept longer
  than any marker that a request could still write from a read made before it.
- a generation per token, changed (to a value never used before) on every save, rotation or
  deletion of its integration: a marker of another generation is ignored. Requests read it
  (in the same script call) before their database read, so no marker outlives a change it
  did not see. Each process also keeps the integrations it looked up under the generation it
  read (access.py), which spares a new alert that query.

Flushes are exactly once. The buffer is a vigil.buffers.WriteBehindBuffer: a flush takes it by
renaming it to the batch key (one atomic step: repeats counted meanwhile start a new buffer),
adds the batch in one transaction, writes that transaction's id into the batch before it commits
(only while it holds the flush lock), and deletes the batch after. A batch a dead flush left
behind is dropped by the next one if its transaction committed (PostgreSQL's txid_status), and
added again if not. This is why the buffer needs PostgreSQL; on SQLite (one machine) and without
Redis, every repeat is one UPDATE in the request, as is any request that finds Redis down.

Buffered counts live only in Redis until flushed: a Redis that loses its data loses at most
those, never an alert row, an incident or a resolution.
"""

import hashlib
import json
import logging
import secrets
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import redis
from django.conf import settings
from django.db import DatabaseError, connection, transaction

from vigil.buffers import Flushed, WriteBehindBuffer

from . import access, statements
from .parsers import ParsedAlert

logger = logging.getLogger(__name__)

MARKER_SECONDS = 600
# A request writes markers only this soon after its database read (time.monotonic()).
PRIME_MAX_AGE_SECONDS = 30
TOMBSTONE_SECONDS = MARKER_SECONDS + PRIME_MAX_AGE_SECONDS + 60
# A flush waits this long for a row lock, then gives up until the next one: well under
# PostgreSQL's deadlock_timeout (1 s), so in a lock cycle with an ingest it is the flush that yields.
FLUSH_LOCK_TIMEOUT = "500ms"

# KEYS: the token's generation, a marker per alert, the buffer. ARGV: the key prefix, the time
# (epoch microseconds), a digest per marker. Counts all the alerts or none: {1}, or {0, generation}.
COUNT_SCRIPT = """
local generation = redis.call("GET", KEYS[1]) or "0"
local ids = {}
for i = 2, #KEYS - 1 do
    local marker = redis.call("GET", KEYS[i])
    if not marker then return {0, generation} end
    local alert, incident, marked, digest = string.match(marker, "^(%d+) (%d+) (%S+) (%S+)$")
    if marked ~= generation or digest ~= ARGV[i + 1] then return {0, generation} end
    if redis.call("EXISTS", ARGV[1] .. "dead:alert:" .. alert, ARGV[1] .. "dead:incident:" .. incident) > 0 then
        return {0, generation}
    end
    ids[#ids + 1] = alert
end
local buffer = KEYS[#KEYS]
for _, alert in ipairs(ids) do
    redis.call("HINCRBY", buffer, alert, 1)
    local last = redis.call("HGET", buffer, alert .. " at")
    if not last or tonumber(last) < tonumber(ARGV[2]) then
        redis.call("HSET", buffer, alert .. " at", ARGV[2])
    end
end
return {1}
"""

# KEYS: the flush lock, the batch. ARGV: the lock's token, a transaction id. Writes the id
# into the batch only while the caller holds the lock: 1, else 0.
CLAIM_SCRIPT = """
if redis.call("GET", KEYS[1]) ~= ARGV[1] or redis.call("EXISTS", KEYS[2]) == 0 then
    return 0
end
redis.call("HSET", KEYS[2], "txid", ARGV[2])
return 1
"""

# KEYS: the batch. ARGV: a transaction id. Deletes the batch if that transaction added it.
DONE_SCRIPT = """
if redis.call("HGET", KEYS[1], "txid") == ARGV[1] then
    return redis.call("DEL", KEYS[1])
end
return 0
"""


@dataclass
class Batch:
    """Buffered repeats: per alert id, how many and the latest time; TXID once a flush added them."""

    counts: dict[int, int] = field(default_factory=dict)
    latest: dict[int, datetime] = field(default_factory=dict)
    txid: str | None = None

    @classmethod
    def from_fields(cls, fields: dict[str, str]) -> "Batch":
        batch = cls()
        for name, value in fields.items():
            if name == "txid":
                batch.txid = value
            elif name.endswith(" at"):
                batch.latest[int(name[:-3])] = datetime.fromtimestamp(int(value) / 1e6, UTC)
            else:
                batch.counts[int(name)] = int(value)
        return batch


class FlushLost(Exception):
    """The flush lost its lock before committing: another flush owns the batch now."""


class RepeatBuffer(WriteBehindBuffer):
    """Markers, tombstones and generations beside the buffer of repeats (a count and the latest
    time per alert id). A flush's Flushed counts repeats (added) and alert rows (rows)."""

    label = "alert repeats"
    pause_seconds = 5.0

    def __init__(self, url: str, prefix: str):
        super().__init__(url, prefix)
        self._count = self.client.register_script(COUNT_SCRIPT)
        self._claim = self.client.register_script(CLAIM_SCRIPT)
        self._done = self.client.register_script(DONE_SCRIPT)

    def marker_key(self, kind: str, token: str, fingerprint: str, token_digest: str | None = None) -> str:
        return f"{self.prefix}fp:{kind}:{token_digest or _token_digest(token)}:{fingerprint}"

    def generation_key(self, token: str, token_digest: str | None = None) -> str:
        return f"{self.prefix}generation:{token_digest or _token_digest(token)}"

    def count(self, kind: str, token: str, alerts: Sequence[ParsedAlert], at: datetime) -> tuple[bool, str]:
        """Count ALERTS (all firing) if each is a known repeat. Returns (counted, the token's generation)."""
        digest = _token_digest(token)
        markers = [self.marker_key(kind, token, alert.fingerprint, digest) for alert in alerts]
        keys = [self.generation_key(token, digest), *markers, self.buffer_key]
        args = [self.prefix, str(int(at.timestamp() * 1_000_000)), *(content_digest(alert) for alert in alerts)]
        reply = self.call(self._count, keys, args)
        return reply[0] == 1, (reply[1] if len(reply) > 1 else "")

    def remember(self, kind: str, token: str, generation: str, markers: Iterable[tuple[ParsedAlert, int, int]]) -> None:
        """Mark each (alert, alert id, incident id) as firing in an open incident."""
        digest = _token_digest(token)
        self.run(
            [
                (
                    "SET",
                    self.marker_key(kind, token, parsed.fingerprint, digest),
                    f"{alert_id} {incident_id} {generation} {content_digest(parsed)}",
                    "EX",
                    MARKER_SECONDS,
                )
                for parsed, alert_id, incident_id in markers
            ]
        )

    def bury(self, what: str, ids: Iterable[int]) -> None:
        """Tombstones: markers naming these alerts or incidents are ignored from now on."""
        with self.client.pipeline(transaction=False) as pipe:
            for pk in ids:
                pipe.set(f"{self.prefix}dead:{what}:{pk}", "1", ex=TOMBSTONE_SECONDS)
            pipe.execute()

    def new_generation(self, token: str) -> None:
        # Never a value seen before, even after Redis lost its data: see access.py.
        self.client.set(self.generation_key(token), secrets.token_hex(8))

    def claim(self, lock, txid: str) -> bool:
        return self._claim(keys=[self.lock_key, self.batch_key], args=[lock.local.token, txid])

    def done(self, txid: str) -> None:
        self._done(keys=[self.batch_key], args=[txid])


def _token_digest(token: str) -> str:
    # Key names show no secret.
    return hashlib.sha256(token.encode()).hexdigest()[:32]


def content_digest(parsed: ParsedAlert) -> str:
    """What a repeat writes besides its count: a change of it goes to the database."""
    content = json.dumps([parsed.title, parsed.annotations], sort_keys=True, separators=(",", ":"))
    return hashlib.blake2b(content.encode(), digest_size=8).hexdigest()


def repeat_buffer() -> RepeatBuffer | None:
    """This process's buffer, or None: no Redis, not PostgreSQL, or Redis failed a moment ago."""
    url = settings.REDIS_URL
    if not url or connection.vendor != "postgresql":
        return None
    # Keys per database: tests, benchmarks and a dev server may share one Redis.
    return RepeatBuffer.get(url, f"vigil:alerts:{connection.settings_dict['NAME']}:")


def _redis_failed(buffer: RepeatBuffer, doing: str, exc: Exception) -> None:
    buffer.pause()
    access.forget_all()
    logger.warning(
        "alert repeats: Redis unavailable while %s (%s); using the database for %s s", doing, exc, buffer.pause_seconds
    )


# --- Requests ------------------------------------------------------------------------------------


def count(kind: str, token: str, alerts: Sequence[ParsedAlert], at: datetime) -> tuple[bool, str | None]:
    """Count a payload of firing ALERTS if every one is a known repeat.

    Returns (counted, generation): the generation to pass to remember() after the database
    took the payload instead, or None when there is no buffer to remember it in.
    """
    buffer = repeat_buffer()
    if buffer is None:
        return False, None
    try:
        return buffer.count(kind, token, alerts, at)
    except redis.RedisError as exc:
        _redis_failed(buffer, "counting a repeat", exc)
        return False, None


def remember(
    kind: str, token: str, generation: str, markers: list[tuple[ParsedAlert, int, int]], read_at: float
) -> None:
    """After the database said these alerts fire in open incidents: later repeats go to the buffer.

    READ_AT is time.monotonic() from before that database read; GENERATION is count()'s.
    """
    buffer = repeat_buffer()
    if buffer is None or not markers or time.monotonic() - read_at > PRIME_MAX_AGE_SECONDS:
        return
    try:
        buffer.remember(kind, token, generation, markers)
    except redis.RedisError as exc:
        _redis_failed(buffer, "marking alerts as firing", exc)


def forget_alerts(ids: Iterable[int]) -> None:
    """After commit: these alert rows no longer fire (or changed), so their repeats go to the database."""
    _after_commit("alert", list(ids))


def forget_incident(incident_id: int) -> None:
    """After commit: the incident closed, so repeats of its alerts go to the database."""
    _after_commit("incident", [incident_id])


def forget_token(token: str) -> None:
    """The integration with TOKEN changed (or its token did): its markers and cached copies are void.

    A new generation now, so that this transaction's own later reads miss the cache too, and
    again after commit, for what other requests read and cached in between.
    """

    def void():
        buffer = repeat_buffer()
        if buffer is not None:
            try:
                buffer.new_generation(token)
            except redis.RedisError as exc:
                _log_stale(exc)

    void()
    transaction.on_commit(void)


def _after_commit(what: str, ids: list[int]) -> None:
    def bury():
        buffer = repeat_buffer()
        if buffer is not None and ids:
            try:
                buffer.bury(what, ids)
            except redis.RedisError as exc:
                _log_stale(exc)

    transaction.on_commit(bury)


def _log_stale(exc: Exception) -> None:
    # The markers this should have voided expire within MARKER_SECONDS.
    logger.error("alert repeats: Redis unavailable (%s); markers may stay up to %s s", exc, MARKER_SECONDS)


# --- Flushing ------------------------------------------------------------------------------------


def flush_repeats(wait: bool = True) -> Flushed:
    """Add buffered repeats to the alert rows, exactly once. A no-op without a buffer.

    Without WAIT, it leaves the work to a flush already running (a page about to show the
    counts should not queue behind one). Inside a transaction, the batch is done when that
    transaction commits; until then other flushes leave it (and the buffer) alone.
    """
    buffer = repeat_buffer()
    if buffer is None:
        return Flushed()
    try:
        return buffer.flush(lambda fields, lock: _write(buffer, lock, Batch.from_fields(fields)), wait=wait)
    except redis.RedisError as exc:
        _redis_failed(buffer, "flushing", exc)
    except (DatabaseError, FlushLost) as exc:
        logger.warning("alert repeats: flush left for later: %s", exc)
    return Flushed(complete=False)


def _write(buffer: RepeatBuffer, lock, batch: Batch) -> Flushed:
    if batch.txid is not None:  # left behind by a flush that added it, then died or lost its lock
        status = statements.transaction_status(batch.txid)
        if status is None:
            # Too old for PostgreSQL to remember: it ended long ago, and a flush that fails commits nothing later.
            logger.warning(
                "alert repeats: transaction %s of a batch left behind is too old to check; dropped", batch.txid
            )
            status = "committed"
        if status == "in progress":  # a flush that outlived its lock is committing it
            return Flushed(complete=False)
        if status == "committed":
            buffer.done(batch.txid)
            return Flushed()
    with transaction.atomic():
        statements.set_lock_timeout(FLUSH_LOCK_TIMEOUT)
        rows, added = statements.add_repeats(batch.counts, batch.latest)
        txid = statements.current_transaction_id()
        if not buffer.claim(lock, txid):
            raise FlushLost(f"the flush lock expired (over {buffer.flush_lock_seconds} s)")
        transaction.on_commit(lambda: buffer.done(txid))
    return Flushed(added=added, rows=rows)
