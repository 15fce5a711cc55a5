"""Write-behind buffers in Redis: requests add to a hash, a flush moves it into the database in bulk.

Heartbeat pings (monitoring.heartbeats) and repeats of known alerts (incidents.integrations.buffer)
each configure one: its keys' prefix, its own Lua scripts for what a request adds, and how a batch
is written to the database (the `write` given to flush()). This class holds what they share:

- Requests go straight to a connection of their thread's own (run(), call()): redis-py's pool,
  retries and script objects cost several times the command itself on these paths
  (bench/heartbeats.py, bench/alerts.py), which run once per request.
- A flush takes the buffer by renaming it to the batch key (TAKE_SCRIPT, one atomic step: what
  arrives meanwhile starts a new buffer), writes the batch, and the writer deletes the batch once
  the database has it. A batch a failed flush left behind is taken first by the next one.
- One flush at a time, under a Redis lock; each takes at most two batches (one left behind, then
  the buffer), so a steady stream of requests cannot keep one flush going.
- One instance per process for each Redis URL and prefix (get()), and a pause after a Redis error
  (pause_seconds, when the app asks for one): the database path is slower, but a timeout on
  every request would be slower still.

Redis must not evict these keys: run it with maxmemory-policy noeviction (which Celery's broker
needs anyway). What is buffered lives only in Redis until flushed.
"""

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Self

import redis

logger = logging.getLogger(__name__)

# KEYS: the buffer, the batch being flushed. A batch left by a failed flush comes first; else
# the buffer becomes the batch. Returns the batch's fields and values (empty: nothing to flush).
TAKE_SCRIPT = """
if redis.call("EXISTS", KEYS[2]) == 0 then
    if redis.call("EXISTS", KEYS[1]) == 0 then
        return {}
    end
    redis.call("RENAME", KEYS[1], KEYS[2])
end
return redis.call("HGETALL", KEYS[2])
"""


@dataclass(frozen=True)
class Flushed:
    """What a flush did: ADDED buffered events (pings, repeats) written to ROWS rows (monitors,
    alerts); DROPPED events whose row is gone. COMPLETE is False when something was left for a
    later flush (Redis or the database unavailable, a lock not had in time)."""

    added: int = 0
    rows: int = 0
    dropped: int = 0
    complete: bool = True

    def __add__(self, other: "Flushed") -> "Flushed":
        return Flushed(
            self.added + other.added,
            self.rows + other.rows,
            self.dropped + other.dropped,
            self.complete and other.complete,
        )


class WriteBehindBuffer:
    """A buffer hash under PREFIX, the batch a flush takes from it, and the flush lock.

    Subclasses name themselves (label, for log lines) and may change the timeouts below.
    """

    label = "buffer"
    # Short timeouts: a Redis that hangs must not hang every web worker with it.
    socket_timeout = 2.0
    connect_timeout = 1.0
    # How long a flush waits for another one to finish, and how long its lock lives if its process dies mid-flush.
    flush_wait_seconds = 5
    flush_lock_seconds = 60
    # After a Redis error, leave Redis alone this long (0: try again at once).
    pause_seconds = 0.0

    _instances: dict[tuple[type, str, str], "WriteBehindBuffer"] = {}

    def __init__(self, url: str, prefix: str):
        self.client = redis.Redis.from_url(
            url, decode_responses=True, socket_timeout=self.socket_timeout, socket_connect_timeout=self.connect_timeout
        )
        self.prefix = prefix
        self.buffer_key = f"{prefix}buffer"
        self.batch_key = f"{prefix}batch"
        self.lock_key = f"{prefix}flush-lock"
        self._take = self.client.register_script(TAKE_SCRIPT)
        self._own = threading.local()
        self._paused_until = 0.0

    @classmethod
    def get(cls, url: str, prefix: str) -> Self | None:
        """This process's buffer for URL and PREFIX, or None while it is paused after a Redis error."""
        key = (cls, url, prefix)
        buffer = cls._instances.get(key)
        if buffer is None:
            buffer = cls._instances[key] = cls(url, prefix)
        return buffer if buffer._paused_until <= time.monotonic() else None

    def pause(self) -> None:
        """Redis failed: get() returns None for pause_seconds."""
        self._paused_until = time.monotonic() + self.pause_seconds

    # --- Requests ----------------------------------------------------------------------------

    def run(self, commands: Sequence[tuple]) -> list:
        """Send COMMANDS in one round trip on this thread's own connection and return their
        replies; an error reply raises (after every reply was read, so the connection stays usable)."""
        connection = self._connection()
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

    def call(self, script, keys: Sequence[str], args: Sequence) -> object:
        """Run SCRIPT (from self.client.register_script) by its digest, loading it into a Redis
        that lost it (restarted, or its scripts flushed)."""
        command = ("EVALSHA", script.sha, len(keys), *keys, *args)
        try:
            return self.run([command])[0]
        except redis.exceptions.NoScriptError:
            self.client.script_load(script.script)
            return self.run([command])[0]

    def _connection(self):
        connection = getattr(self._own, "connection", None)
        if connection is None or connection.pid != os.getpid():  # never a socket a forked parent opened
            pool = self.client.connection_pool
            connection = self._own.connection = pool.connection_class(**pool.connection_kwargs)
        return connection

    # --- Flushing ----------------------------------------------------------------------------

    def pending(self) -> bool:
        return self.client.exists(self.buffer_key, self.batch_key) > 0

    def take(self) -> dict[str, str]:
        """The batch to flush, field -> value; empty when there is none. It stays in Redis until
        the writer deletes it (done())."""
        flat = self.call(self._take, [self.buffer_key, self.batch_key], [])
        return dict(zip(flat[::2], flat[1::2], strict=True))

    def done(self) -> None:
        """The batch is in the database."""
        self.client.delete(self.batch_key)

    def lock(self):
        return self.client.lock(
            self.lock_key, timeout=self.flush_lock_seconds, blocking_timeout=self.flush_wait_seconds
        )

    def flush(self, write: Callable[[dict[str, str], object], Flushed], *, wait: bool = True) -> Flushed:
        """Take and write at most two batches, under the flush lock: write(batch, lock) writes one
        and deletes it (done()), or says it left it (complete=False, and the flush stops there).

        Nothing buffered costs one EXISTS and no lock. Without WAIT, a flush already running is
        left to do the work. Redis errors and the writer's own errors reach the caller.
        """
        if not self.pending():
            return Flushed()
        lock = self.lock()
        if not lock.acquire(blocking=wait):
            if wait:
                logger.warning("%s: another flush held the lock for over %s s", self.label, self.flush_wait_seconds)
            return Flushed(complete=False)
        try:
            total = Flushed()
            for _ in range(2):
                batch = self.take()
                if not batch:
                    break
                flushed = write(batch, lock)
                total += flushed
                if not flushed.complete:
                    break
            return total
        finally:
            try:
                lock.release()
            except redis.exceptions.LockError:
                logger.warning("%s: a flush outlived its lock (%s s)", self.label, self.flush_lock_seconds)

    def clear(self) -> None:
        """Forget every key under the prefix (tests and benchmarks start clean)."""
        keys = list(self.client.scan_iter(match=f"{self.prefix}*", count=1000))
        if keys:
            self.client.delete(*keys)


def _reply(connection):
    try:
        return connection.read_response()
    except redis.exceptions.ResponseError as exc:
        return exc  # an error reply, read whole: the replies after it must be read too
