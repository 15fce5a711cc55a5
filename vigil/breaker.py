"""A circuit breaker per destination, shared by every process through Django's cache.

The cache is Redis when REDIS_URL is set and the file cache of one machine otherwise
(settings.CACHES), so every worker process sees the same breakers. For each key (comms
uses "host:port" of a URL destination) it keeps three small entries:

  fails  consecutive failures; reset by a success, forgotten after MEMORY seconds without one
  open   the epoch second until which the breaker is open; present while open or half-open
  trial  held by the one caller let through once the cool-off has passed (half-open)

closed -> open: the THRESHOLD-th failure in a row. open -> half-open: the cool-off passes; the
next caller takes `trial` with an atomic add (SET NX on Redis), so exactly one request goes,
whichever process asks. half-open -> closed: that request succeeds (every entry is deleted).
half-open -> open: it fails (the count is still at or past THRESHOLD, so the breaker reopens for
another cool-off). Callers the breaker holds back are told until when, and do not try.
The trial entry lasts one cool-off, so a trial whose caller died is followed by another:
keep the cool-off above the longest a request can take (vigil.http's deadline).

Every entry expires, so destinations that are never tried again leave nothing behind: an
install where anyone can subscribe a URL must not grow Redis (which runs with noeviction)
without bound. A cache that cannot be reached lets every call through (logged): the breaker
saves worker time, it must never be why a message is not sent.

Why not pybreaker (1.4, with its Redis storage): its half-open state lets every caller
through until one answers rather than one trial, its Redis keys never expire, it has no
storage on Django's cache, and it holds a lock for the whole call.
"""

import hashlib
import logging
import math
import time
from dataclasses import dataclass

from django.core.cache import cache

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Breaker:
    """NAME prefixes the cache keys (one breaker family per use); THRESHOLD 0 turns it off."""

    name: str
    threshold: int
    cool_off: float
    memory: float = 3600.0

    @staticmethod
    def _seconds(timeout: float) -> int:
        """A cache timeout in whole seconds, never 0 (Django's Redis cache truncates, and 0 deletes)."""
        return max(1, math.ceil(timeout))

    def _key(self, key: str, part: str) -> str:
        if len(key) > 200 or not key.isprintable() or " " in key:  # keep cache keys short and plain
            key = hashlib.sha256(key.encode()).hexdigest()
        return f"breaker:{self.name}:{key}:{part}"

    def blocked_until(self, key: str) -> float | None:
        """None when a call to KEY may go now (closed, or this caller holds the half-open trial);
        else the epoch second after which to ask again."""
        if self.threshold <= 0:
            return None
        try:
            reopen = cache.get(self._key(key, "open"))
            if reopen is None:
                return None
            now = time.time()
            if now < reopen:
                return reopen
            # Half-open: the first caller to add the trial entry goes; the others wait for its outcome.
            if cache.add(self._key(key, "trial"), now, timeout=self._seconds(self.cool_off)):
                return None
            return now + self.cool_off
        except Exception:
            logger.exception("Circuit breaker %s: cache unavailable; letting the call to %s through", self.name, key)
            return None

    def succeeded(self, key: str) -> None:
        """The destination answered: close the breaker and forget its failures."""
        if self.threshold <= 0:
            return
        try:
            cache.delete_many([self._key(key, "fails"), self._key(key, "open"), self._key(key, "trial")])
        except Exception:
            logger.exception("Circuit breaker %s: cache unavailable; could not record a success of %s", self.name, key)

    def failed(self, key: str) -> bool:
        """The destination failed or timed out. True when this failure opened (or reopened) the breaker."""
        if self.threshold <= 0:
            return False
        fails_key = self._key(key, "fails")
        try:
            memory = self._seconds(self.memory)
            cache.add(fails_key, 0, timeout=memory)
            try:
                fails = cache.incr(fails_key)
            except ValueError:  # it expired between the add and the increment
                cache.set(fails_key, 1, timeout=memory)
                fails = 1
            cache.touch(fails_key, timeout=memory)  # the file cache's incr forgets the timeout
            if fails < self.threshold:
                return False
            reopen = time.time() + self.cool_off
            cache.set(self._key(key, "open"), reopen, timeout=self._seconds(self.cool_off + self.memory))
            cache.delete(self._key(key, "trial"))  # the next cool-off has its own trial
            return True
        except Exception:
            logger.exception("Circuit breaker %s: cache unavailable; could not record a failure of %s", self.name, key)
            return False

    def failures(self, key: str) -> int:
        """Consecutive failures recorded for KEY (for messages and tests)."""
        try:
            return int(cache.get(self._key(key, "fails")) or 0)
        except Exception:
            return 0
