"""Vigil's own metrics at /metrics, in Prometheus' text format, and the registry apps add to.

vigil imports no app (DESIGN.md), so each app registers a collector from its AppConfig.ready():

    from vigil.metrics import register
    register(MonitoringCollector())

A collector is any object with `collect()` yielding prometheus_client metric families
(prometheus_client.registry.Collector). The figures are read when Prometheus scrapes, from the
database, the broker or SharedCounters, never from in-process counters: Celery runs many worker
processes and gunicorn many web processes, and a scrape reaches one of them.

The endpoint is off until VIGIL_METRICS_TOKEN is set (404 saying so); with it set, a scrape needs
`Authorization: Bearer <token>` and gets 401 without it or with a wrong one (RFC 6750).
"""

import hmac
import logging
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import redis
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from . import broker as embedded_broker

log = logging.getLogger(__name__)

# kombu's Redis transport keeps a queue's messages of priority p > 0 under "<queue><sep><p>".
KOMBU_PRIORITY_SEP = "\x06\x16"
KOMBU_PRIORITY_STEPS = (3, 6, 9)

_collectors: dict[type, Collector] = {}


def register(collector: Collector) -> None:
    """Add COLLECTOR to /metrics; registering another of the same class replaces it (ready() may rerun)."""
    _collectors[type(collector)] = collector


class _Registry:
    """What prometheus_client's encoders read: every registered collector, then Vigil's own."""

    def collect(self) -> Iterable[Metric]:
        for collector in [*_collectors.values(), CeleryQueueCollector()]:
            yield from collector.collect()


@require_GET
@never_cache
def metrics_view(request: HttpRequest) -> HttpResponse:
    token = settings.VIGIL_METRICS_TOKEN
    if not token:
        return HttpResponse(
            "Metrics are off: set VIGIL_METRICS_TOKEN to serve them here.\n", status=404, content_type="text/plain"
        )
    if not _bearer_matches(request, token):
        response = HttpResponse(
            "Send the metrics token: Authorization: Bearer <VIGIL_METRICS_TOKEN>.\n",
            status=401,
            content_type="text/plain",
        )
        response["WWW-Authenticate"] = 'Bearer realm="vigil-metrics"'
        return response
    encode, content_type = choose_encoder(request.headers.get("Accept", ""))
    return HttpResponse(encode(_Registry()), content_type=content_type)


def _bearer_matches(request: HttpRequest, token: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    # compare_digest: the time taken does not tell how much of a guess was right.
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


# --- Celery queue depth ----------------------------------------------------------------------


def celery_queues() -> list[str]:
    """Every queue a task is routed to, and the default one."""
    routes = settings.CELERY_TASK_ROUTES
    return sorted({settings.CELERY_TASK_DEFAULT_QUEUE} | {route["queue"] for route in routes.values()})


def queue_lengths(queues: list[str]) -> dict[str, int]:
    """Messages waiting in each queue, read from the broker the way kombu stores them."""
    broker = settings.CELERY_BROKER_URL
    if broker.startswith(("redis://", "rediss://")):
        return _redis_queue_lengths(broker, queues)
    path = embedded_broker.embedded_path()
    if path:
        return embedded_broker.queue_lengths(path, queues)
    return {}


def _redis_queue_lengths(url: str, queues: list[str]) -> dict[str, int]:
    keys_by_queue = {q: [q, *(f"{q}{KOMBU_PRIORITY_SEP}{p}" for p in KOMBU_PRIORITY_STEPS)] for q in queues}
    with redis_client(url).pipeline(transaction=False) as pipe:
        for keys in keys_by_queue.values():
            for key in keys:
                pipe.llen(key)
        sizes = iter(pipe.execute())
    return {q: sum(next(sizes) for _ in keys) for q, keys in keys_by_queue.items()}


class CeleryQueueCollector:
    def collect(self) -> Iterable[Metric]:
        queues = celery_queues()
        try:
            lengths = queue_lengths(queues)
        except (redis.RedisError, OSError, sqlite3.Error) as exc:
            # The other figures are still worth a scrape; the missing series tells the broker is down.
            log.warning("metrics: cannot read the Celery queue lengths: %s", exc)
            return
        family = GaugeMetricFamily("vigil_celery_queue_length", "Messages waiting in a Celery queue.", labels=["queue"])
        for queue, length in lengths.items():
            family.add_metric([queue], length)
        yield family


# --- Counters shared by every process --------------------------------------------------------


@cache
def redis_client(url: str) -> redis.Redis:
    """One client (and connection pool) per URL and process."""
    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)


class SharedCounters:
    """Named integer counters that every process of every machine adds to and /metrics reads.

    In Redis (one hash, HINCRBY in one pipeline) when REDIS_URL is set; else in a small SQLite
    file under VIGIL_VAR_DIR, which is shared by the processes of the one machine such a
    deployment runs on (its broker is a folder there too). Counting must never break the work
    counted: a failure to count is logged and the counts are lost.
    """

    def __init__(self, name: str):
        self.name = name

    def add(self, counts: Mapping[str, int]) -> None:
        counts = {field: n for field, n in counts.items() if n}
        if not counts:
            return
        try:
            if settings.REDIS_URL:
                self._redis_add(counts)
            else:
                self._sqlite_add(counts)
        except (redis.RedisError, sqlite3.Error) as exc:
            log.warning("metrics: lost %d counts of %s: %s", len(counts), self.name, exc)

    def read(self) -> dict[str, int] | None:
        """The counters' values; None when the store cannot be read (zeros would look like a reset)."""
        try:
            if settings.REDIS_URL:
                raw = redis_client(settings.REDIS_URL).hgetall(self._key)
                return {field.decode(): int(value) for field, value in raw.items()}
            with self._sqlite() as db:
                return dict(db.execute("SELECT field, value FROM counter WHERE name = ?", (self.name,)))
        except (redis.RedisError, sqlite3.Error) as exc:
            log.warning("metrics: cannot read the counts of %s: %s", self.name, exc)
            return None

    @property
    def _key(self) -> str:
        return f"vigil:counters:{self.name}"

    def _redis_add(self, counts: Mapping[str, int]) -> None:
        with redis_client(settings.REDIS_URL).pipeline(transaction=False) as pipe:
            for field, n in counts.items():
                pipe.hincrby(self._key, field, n)
            pipe.execute()

    def _sqlite_add(self, counts: Mapping[str, int]) -> None:
        with self._sqlite() as db:
            db.executemany(
                "INSERT INTO counter (name, field, value) VALUES (?, ?, ?)"
                " ON CONFLICT (name, field) DO UPDATE SET value = value + excluded.value",
                [(self.name, field, n) for field, n in counts.items()],
            )

    @contextmanager
    def _sqlite(self) -> Iterator[sqlite3.Connection]:
        """A connection to the counters file, in one transaction (committed unless it raises)."""
        db = sqlite3.connect(Path(settings.VAR_DIR) / "counters.sqlite3", timeout=5)
        try:
            with db:
                db.execute(
                    "CREATE TABLE IF NOT EXISTS counter"
                    " (name TEXT, field TEXT, value INTEGER NOT NULL, PRIMARY KEY (name, field))"
                )
                yield db
        finally:
            db.close()
