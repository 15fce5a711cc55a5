"""Repeats of known firing alerts, counted in Redis and added to the database in bulk.

Most webhooks repeat alerts Vigil already knows: Alertmanager resends every firing alert of
a group with each notification of it. With Redis (settings.REDIS_URL) and PostgreSQL, such a
payload costs one Redis round trip and no database query: a Lua script adds it to a buffer
hash (a count and the latest time, per alert row). flush_repeats() adds the buffer to the
alert rows in one statement; beat runs it every few seconds (incidents.tasks), and the pages
that show the counts run it first.

The database still decides everything else before the sender gets its 2xx: a new alert, a
resolution, an alert whose incident was closed or whose title or annotations changed. Redis
holds only what tells a plain repeat apart, and the script counts a payload only if all of
its alerts pass, else the request goes on to the database (services.do_ingest_at):

- a marker per (kind, token, fingerprint): alert id, incident id, the token's generation and
  a digest of the title and annotations, written after the database said the alert fires in
  an open incident. It lives MARKER_SECONDS, so a marker written from a database read is
  never older than that read by more than PRIME_MAX_AGE_SECONDS + MARKER_SECONDS.
- tombstones for alerts and incidents that stopped firing or closed (resolved, deleted,
  edited in the admin), written after their transaction commits and kept longer than any
  marker that a request could still write from a read made before it.
- a generation per token, changed (to a value never used before) on every save, rotation or
  deletion of its integration: a marker of another generation is ignored. Requests read it
  (in the same script call) before their database read, so no marker outlives a change it
  did not see. Each process also keeps the integrations it looked up under the generation it
  read (cached_integration), which spares a new alert that query.

Flushes are exactly once. A flush takes the buffer by renaming it to the batch key (one
atomic step: repeats counted meanwhile start a new buffer), adds the batch in one
transaction, writes that transaction's id into the batch before it commits (only while it
holds the flush lock), and deletes the batch after. A batch a dead flush left behind is
dropped by the next one if its transaction committed (PostgreSQL's txid_status), and added
again if not. This is why the buffer needs PostgreSQL; on SQLite (one machine) and without
Redis, every repeat is one UPDATE in the request, as is any request that finds Redis down.

Redis must not evict these keys: run it with maxmemory-policy noeviction (which Celery's
broker needs anyway). Buffered counts live only in Redis until flushed: a Redis that loses
its data loses at most those, never an alert row, an incident or a resolution.
"""

import hashlib
import json
import logging
import os
import secrets
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import redis
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from incidents.models import Alert, Incident, Integration
from incidents.signals import incident_resolved
from vigil.buffers import TAKE_SCRIPT

from .parsers import ParsedAlert

logger = logging.getLogger(__name__)

MARKER_SECONDS = 600
# A request writes markers only this soon after its database read (time.monotonic()).
PRIME_MAX_AGE_SECONDS = 30
TOMBSTONE_SECONDS = MARKER_SECONDS + PRIME_MAX_AGE_SECONDS + 60
FLUSH_LOCK_SECONDS = 60
FLUSH_WAIT_SECONDS = 5
# A flush waits this long for a row lock, then gives up until the next one: well under
# PostgreSQL's deadlock_timeout (1 s), so in a lock cycle with an ingest it is the flush that yields.
FLUSH_LOCK_TIMEOUT = "500ms"
FLUSH_CHUNK = 5000  # alert rows per statement (3 parameters each)
# After a Redis error this process leaves Redis alone for this long: the database path is
# slower, but a timeout on every request would be slower still.
REDIS_PAUSE_SECONDS = 5

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
    def from_redis(cls, flat: list[str]) -> "Batch":
        batch = cls()
        for name, value in zip(flat[::2], flat[1::2], strict=True):
            if name == "txid":
                batch.txid = value
            elif name.endswith(" at"):
                batch.latest[int(name[:-3])] = datetime.fromtimestamp(int(value) / 1e6, UTC)
            else:
                batch.counts[int(name)] = int(value)
        return batch


@dataclass(frozen=True)
class Flushed:
    """What a flush did: REPEATS added to ALERTS rows. COMPLETE is False when something was left
    for a later flush (Redis or the database unavailable, a lock not had in time)."""

    alerts: int = 0
    repeats: int = 0
    complete: bool = True

    def __add__(self, other: "Flushed") -> "Flushed":
        return Flushed(self.alerts + other.alerts, self.repeats + other.repeats, self.complete and other.complete)


class FlushLost(Exception):
    """The flush lost its lock before committing: another flush owns the batch now."""


class RepeatBuffer:
    """The Redis side: markers, tombstones, generations, the buffer, the batch and the flush lock."""

    def __init__(self, url: str):
        # Short timeouts: a Redis that hangs must not hang every web worker with it.
        self.client = redis.Redis.from_url(url, decode_responses=True, socket_timeout=2, socket_connect_timeout=1)
        self._count = self.client.register_script(COUNT_SCRIPT)
        self._take = self.client.register_script(TAKE_SCRIPT)
        self._claim = self.client.register_script(CLAIM_SCRIPT)
        self._done = self.client.register_script(DONE_SCRIPT)
        self._own = threading.local()

    @staticmethod
    def prefix() -> str:
        # Per database: tests, benchmarks and a dev server may share one Redis.
        return f"vigil:alerts:{connection.settings_dict['NAME']}:"

    def marker_key(self, kind: str, token: str, fingerprint: str) -> str:
        return _marker_key(self.prefix(), kind, _token_digest(token), fingerprint)

    def generation_key(self, token: str) -> str:
        return _generation_key(self.prefix(), _token_digest(token))

    def count(self, kind: str, token: str, alerts: Sequence[ParsedAlert], at: datetime) -> tuple[bool, str]:
        """Count ALERTS (all firing) if each is a known repeat. Returns (counted, the token's generation)."""
        prefix, token_digest = self.prefix(), _token_digest(token)
        markers = [_marker_key(prefix, kind, token_digest, alert.fingerprint) for alert in alerts]
        keys = [_generation_key(prefix, token_digest), *markers, f"{prefix}buffer"]
        args = [prefix, str(int(at.timestamp() * 1_000_000)), *(content_digest(alert) for alert in alerts)]
        reply = self._run_count(keys, args)
        return reply[0] == 1, (reply[1] if len(reply) > 1 else "")

    def _connection(self):
        """This thread's own connection, for the calls a request makes.

        A repeat's one round trip is the count script: redis-py's pool, retries and script
        object cost several times the call itself (bench/alerts.py), so requests go straight
        to a connection.
        """
        connection = getattr(self._own, "connection", None)
        if connection is None or self._own.pid != os.getpid():  # never a socket a forked parent opened
            pool = self.client.connection_pool
            connection = self._own.connection = pool.connection_class(**pool.connection_kwargs)
            self._own.pid = os.getpid()
        return connection

    def _run_count(self, keys: list[str], args: list[str]) -> list:
        command = ("EVALSHA", self._count.sha, len(keys), *keys, *args)
        try:
            return _run(self._connection(), [command])[0]
        except redis.exceptions.NoScriptError:
            self.client.script_load(COUNT_SCRIPT)  # a new or emptied Redis
            return _run(self._connection(), [command])[0]

    def remember(self, kind: str, token: str, generation: str, markers: Iterable[tuple[ParsedAlert, int, int]]) -> None:
        """Mark each (alert, alert id, incident id) as firing in an open incident."""
        commands = [
            (
                "SET",
                self.marker_key(kind, token, parsed.fingerprint),
                f"{alert_id} {incident_id} {generation} {content_digest(parsed)}",
                "EX",
                MARKER_SECONDS,
            )
            for parsed, alert_id, incident_id in markers
        ]
        _run(self._connection(), commands)

    def bury(self, what: str, ids: Iterable[int]) -> None:
        """Tombstones: markers naming these alerts or incidents are ignored from now on."""
        with self.client.pipeline(transaction=False) as pipe:
            for pk in ids:
                pipe.set(f"{self.prefix()}dead:{what}:{pk}", "1", ex=TOMBSTONE_SECONDS)
            pipe.execute()

    def new_generation(self, token: str) -> None:
        # Never a value seen before, even after Redis lost its data: see cached_integration.
        self.client.set(self.generation_key(token), secrets.token_hex(8))

    def pending(self) -> bool:
        return self.client.exists(self.prefix() + "buffer", self.prefix() + "batch") > 0

    def take(self) -> Batch:
        return Batch.from_redis(self._take(keys=[self.prefix() + "buffer", self.prefix() + "batch"]))

    def claim(self, lock, txid: str) -> bool:
        return self._claim(keys=[self.prefix() + "flush-lock", self.prefix() + "batch"], args=[lock.local.token, txid])

    def done(self, txid: str) -> None:
        self._done(keys=[self.prefix() + "batch"], args=[txid])

    def lock(self):
        return self.client.lock(
            self.prefix() + "flush-lock", timeout=FLUSH_LOCK_SECONDS, blocking_timeout=FLUSH_WAIT_SECONDS
        )

    def clear(self) -> None:
        """Forget everything of this database (tests and benchmarks start clean)."""
        keys = list(self.client.scan_iter(match=self.prefix() + "*", count=1000))
        if keys:
            self.client.delete(*keys)


def _run(connection, commands: list[tuple]) -> list:
    """Send COMMANDS in one round trip and return their replies; an error reply raises."""
    try:
        connection.send_packed_command(connection.pack_commands(commands))
        replies = [_reply(connection) for _ in commands]
    except BaseException:
        connection.disconnect()  # maybe mid-reply: a later call must not read the rest of it
        raise
    for reply in replies:
        if isinstance(reply, redis.exceptions.ResponseError):
            raise reply
    return replies


def _reply(connection):
    try:
        return connection.read_response()
    except redis.exceptions.ResponseError as exc:
        return exc  # an error reply, read whole: the replies after it must be read too


def _marker_key(prefix: str, kind: str, token_digest: str, fingerprint: str) -> str:
    return f"{prefix}fp:{kind}:{token_digest}:{fingerprint}"


def _generation_key(prefix: str, token_digest: str) -> str:
    return f"{prefix}generation:{token_digest}"


def _token_digest(token: str) -> str:
    # Key names show no secret.
    return hashlib.sha256(token.encode()).hexdigest()[:32]


def content_digest(parsed: ParsedAlert) -> str:
    """What a repeat writes besides its count: a change of it goes to the database."""
    content = json.dumps([parsed.title, parsed.annotations], sort_keys=True, separators=(",", ":"))
    return hashlib.blake2b(content.encode(), digest_size=8).hexdigest()


_buffers: dict[str, RepeatBuffer] = {}
_paused_until = 0.0
# Integrations by (kind, token), per process, each with its token's generation when it was read
# (count() returns it before the request reads the database). Any change to an integration sets
# a generation never seen before, so an entry is used only while nothing changed. Entries also
# expire, and Redis failing (it may have lost the generations) drops them all.
INTEGRATION_CACHE_SECONDS = 60
INTEGRATION_CACHE_MAX = 1000
_integrations: dict[tuple[str, str], tuple[str, float, Integration]] = {}


def repeat_buffer() -> RepeatBuffer | None:
    """This process's buffer, or None: no Redis, not PostgreSQL, or Redis failed a moment ago."""
    url = settings.REDIS_URL
    if not url or connection.vendor != "postgresql" or time.monotonic() < _paused_until:
        return None
    if url not in _buffers:
        _buffers[url] = RepeatBuffer(url)
    return _buffers[url]


def _redis_failed(doing: str, exc: Exception) -> None:
    global _paused_until
    _paused_until = time.monotonic() + REDIS_PAUSE_SECONDS
    _integrations.clear()
    logger.warning(
        "alert repeats: Redis unavailable while %s (%s); using the database for %s s", doing, exc, REDIS_PAUSE_SECONDS
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
        _redis_failed("counting a repeat", exc)
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
        _redis_failed("marking alerts as firing", exc)


def cached_integration(kind: str, token: str, generation: str) -> Integration | None:
    """The integration of KIND with TOKEN as read under GENERATION (count()'s), if still cached."""
    entry = _integrations.get((kind, token))
    if entry is None or entry[0] != generation or entry[1] < time.monotonic():
        return None
    return entry[2]


def cache_integration(kind: str, token: str, generation: str, integration: Integration) -> None:
    """Keep INTEGRATION, read from the database after count() returned GENERATION."""
    if len(_integrations) >= INTEGRATION_CACHE_MAX:
        _integrations.clear()  # only a flood of integrations gets here; cheaper than an LRU
    _integrations[(kind, token)] = (generation, time.monotonic() + INTEGRATION_CACHE_SECONDS, integration)


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


# What the database changed by other paths voids the markers that relied on it.


@receiver(incident_resolved)
def _on_incident_resolved(sender, incident, **kwargs):
    forget_incident(incident.pk)  # sent after commit: on_commit runs it at once


@receiver(post_delete, sender=Incident)
def _on_incident_deleted(sender, instance, **kwargs):
    forget_incident(instance.pk)


@receiver(post_save, sender=Alert)
def _on_alert_saved(sender, instance, created, **kwargs):
    if not created:  # an edit in the admin; the services change alerts with update()
        forget_alerts([instance.pk])


@receiver(post_save, sender=Integration)
@receiver(post_delete, sender=Integration)
def _on_integration_changed(sender, instance, created=False, **kwargs):
    if not created:
        forget_token(instance.token)


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
        if not buffer.pending():
            return Flushed()
        lock = buffer.lock()
        if not lock.acquire(blocking=wait):
            if wait:
                logger.warning("alert repeats: another flush held the lock for over %s s", FLUSH_WAIT_SECONDS)
            return Flushed(complete=False)
        try:
            return _flush_batches(buffer, lock)
        finally:
            _release(lock)
    except redis.RedisError as exc:
        _redis_failed("flushing", exc)
    except (DatabaseError, FlushLost) as exc:
        logger.warning("alert repeats: flush left for later: %s", exc)
    return Flushed(complete=False)


def _flush_batches(buffer: RepeatBuffer, lock) -> Flushed:
    # At most two batches (one a dead flush left, then the buffer), so a steady stream of
    # repeats cannot keep one flush going.
    total = Flushed()
    for _ in range(2):
        batch = buffer.take()
        if not batch.counts:
            break
        if batch.txid is not None:
            status = _transaction_status(batch.txid)
            if status == "in progress":  # a flush that outlived its lock is committing it
                return total + Flushed(complete=False)
            if status == "committed":
                buffer.done(batch.txid)
                continue
        total += _add(buffer, lock, batch)
    return total


def _transaction_status(txid: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT txid_status(%s)", [int(txid)])
        status = cursor.fetchone()[0]
    if status is None:
        # Too old for PostgreSQL to remember: it ended long ago, and a flush that fails commits nothing later.
        logger.warning("alert repeats: transaction %s of a batch left behind is too old to check; dropped", txid)
        return "committed"
    return status


def _add(buffer: RepeatBuffer, lock, batch: Batch) -> Flushed:
    alerts = repeats = 0
    ids = sorted(batch.counts)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{FLUSH_LOCK_TIMEOUT}'")
        for start in range(0, len(ids), FLUSH_CHUNK):
            chunk = ids[start : start + FLUSH_CHUNK]
            params = [v for pk in chunk for v in (pk, batch.counts[pk], batch.latest.get(pk))]
            cursor.execute(_add_sql(len(chunk)), params)
            rows, added = cursor.fetchone()
            alerts, repeats = alerts + rows, repeats + added
        cursor.execute("SELECT txid_current()")
        txid = str(cursor.fetchone()[0])
        if not buffer.claim(lock, txid):
            raise FlushLost(f"the flush lock expired (over {FLUSH_LOCK_SECONDS} s)")
        transaction.on_commit(lambda: buffer.done(txid))
    return Flushed(alerts, repeats)


def _add_sql(rows: int) -> str:
    alert, integration = Alert._meta.db_table, Integration._meta.db_table
    values = ", ".join(["(%s::bigint, %s::integer, %s::timestamptz)"] * rows)
    # Table names come from the models; every value is a parameter. Alert rows deleted since
    # are skipped: their repeats have nothing left to count.
    return f"""
        WITH batch (id, n, at) AS (VALUES {values}),
        counted AS (
            UPDATE {alert} SET
                received_count = {alert}.received_count + batch.n,
                last_received_at = GREATEST({alert}.last_received_at, batch.at)
            FROM batch WHERE {alert}.id = batch.id
            RETURNING {alert}.integration_id, batch.n, batch.at
        ),
        latest AS (SELECT integration_id, max(at) AS at FROM counted GROUP BY integration_id),
        touched AS (
            UPDATE {integration} SET last_received_at = latest.at FROM latest
            WHERE {integration}.id = latest.integration_id
              AND ({integration}.last_received_at IS NULL OR {integration}.last_received_at < latest.at)
        )
        SELECT count(*), coalesce(sum(n), 0) FROM counted
    """  # noqa: S608


def _release(lock) -> None:
    try:
        lock.release()
    except redis.exceptions.LockError:
        logger.warning("alert repeats: a flush outlived its lock (%s s)", FLUSH_LOCK_SECONDS)
