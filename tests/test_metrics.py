"""/metrics: off without a token, 401 without the right one, and figures that move with the work done."""

from datetime import timedelta

import pytest
import redis
from django.urls import path
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from monitoring.metrics import MonitoringCollector, observe_checks
from monitoring.models import Monitor
from monitoring.recording import Observation
from vigil.metrics import SharedCounters, metrics_view, register

TOKEN = "s3cret-metrics-token"
# The view under its own URL here, whether or not vigil.urls routes it yet.
urlpatterns = [path("metrics", metrics_view)]
pytestmark = pytest.mark.urls(__name__)


@pytest.fixture(autouse=True)
def collector(settings):
    settings.VIGIL_METRICS_TOKEN = TOKEN
    register(MonitoringCollector())


def scrape(client) -> dict[tuple[str, tuple], float]:
    """The samples of one authorised scrape: {(name, sorted labels): value}."""
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def test_metrics_are_off_until_a_token_is_set(client, settings):
    settings.VIGIL_METRICS_TOKEN = ""
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer ")
    assert response.status_code == 404
    assert b"set VIGIL_METRICS_TOKEN" in response.content


@pytest.mark.parametrize("authorization", [None, "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer"])
def test_a_scrape_without_the_token_is_refused(client, db, authorization):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    response = client.get("/metrics", **headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"vigil_" not in response.content


def test_monitors_by_state_and_the_scheduling_lag(client, db):
    now = timezone.now()
    Monitor.objects.create(
        name="late", target="http://a.example", state="up", next_check_at=now - timedelta(seconds=30)
    )
    Monitor.objects.create(name="ok", target="http://b.example", state="up", next_check_at=now + timedelta(seconds=30))
    Monitor.objects.create(
        name="off", target="http://c.example", state="paused", next_check_at=now - timedelta(hours=1)
    )
    samples = scrape(client)
    assert samples[("vigil_monitors", (("state", "up"),))] == 2
    assert samples[("vigil_monitors", (("state", "paused"),))] == 1
    assert samples[("vigil_monitors", (("state", "down"),))] == 0
    # The paused monitor is not due; the late one has been due for 30 s.
    assert 30 <= samples[("vigil_scheduling_lag_seconds", ())] < 60


def test_the_probe_counters_move_after_observe_checks(client, db):
    before = scrape(client)
    now = timezone.now()
    observe_checks(
        [
            Observation(1, "up", now, latency_ms=20.0, due_at=now - timedelta(seconds=0.3)),
            Observation(1, "down", now, reason="timeout"),
            Observation(2, "degraded", now, latency_ms=300.0),
            Observation(3, "up", now),
        ],
        {1: "http", 2: "http", 3: "heartbeat"},
    )
    after = scrape(client)

    def moved(name, **labels):
        key = (name, tuple(sorted(labels.items())))
        return after[key] - before[key]

    assert moved("vigil_probes_total", kind="http") == 3
    assert moved("vigil_probes_total", kind="heartbeat") == 1
    assert moved("vigil_probe_failures_total", kind="http") == 1
    assert moved("vigil_probe_failures_total", kind="tcp") == 0
    assert moved("vigil_probe_latency_seconds_count", kind="http") == 2
    assert moved("vigil_probe_latency_seconds_bucket", kind="http", le="0.01") == 0
    assert moved("vigil_probe_latency_seconds_bucket", kind="http", le="0.025") == 1
    assert moved("vigil_probe_latency_seconds_bucket", kind="http", le="0.5") == 2
    assert moved("vigil_probe_latency_seconds_sum", kind="http") == pytest.approx(0.32)
    assert moved("vigil_check_delay_seconds_count") == 1
    assert moved("vigil_check_delay_seconds_bucket", le="0.25") == 0
    assert moved("vigil_check_delay_seconds_bucket", le="0.5") == 1


def test_queue_lengths_from_the_embedded_broker(client, db, settings, tmp_path):
    """Messages waiting in kombu's SQLAlchemy transport on SQLite are counted per queue; taken ones are not."""
    from kombu import Connection

    url = f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}"
    settings.CELERY_BROKER_URL = url
    with Connection(url) as connection:
        for queue, count in [("default", 2), ("escalation", 1)]:
            with connection.SimpleQueue(queue) as q:
                for n in range(count):
                    q.put({"n": n})
        with connection.SimpleQueue("default") as q:
            q.get(timeout=5).ack()  # a worker took one
        with connection.SimpleQueue("default") as q:
            q.put({"n": 3})
    samples = scrape(client)
    assert samples[("vigil_celery_queue_length", (("queue", "default"),))] == 2
    assert samples[("vigil_celery_queue_length", (("queue", "escalation"),))] == 1
    assert samples[("vigil_celery_queue_length", (("queue", "probes"),))] == 0


def test_queue_lengths_from_the_redis_broker(client, db, settings, redis_url):
    queue = "metrics-test"
    settings.CELERY_BROKER_URL = redis_url
    settings.CELERY_TASK_ROUTES = {**settings.CELERY_TASK_ROUTES, "tests.*": {"queue": queue}}
    r = redis.Redis.from_url(redis_url)
    keys = [queue, f"{queue}\x06\x169"]  # kombu keeps priority-9 messages under the second key
    try:
        r.rpush(keys[0], "a", "b", "c")
        r.rpush(keys[1], "d")
        assert scrape(client)[("vigil_celery_queue_length", (("queue", queue),))] == 4
    finally:
        r.delete(*keys)


def test_shared_counters_in_a_file_without_redis(settings, tmp_path):
    settings.REDIS_URL = ""
    settings.VAR_DIR = tmp_path
    counters = SharedCounters("test")
    counters.add({"a": 2, "b": 0})
    counters.add({"a": 3, "c": 1})
    assert counters.read() == {"a": 5, "c": 1}
    assert SharedCounters("other").read() == {}


def test_shared_counters_in_redis(settings, redis_url):
    settings.REDIS_URL = redis_url
    counters = SharedCounters("test-shared")
    redis.Redis.from_url(redis_url).delete("vigil:counters:test-shared")
    counters.add({"a": 2})
    counters.add({"a": 3, "c": 1})
    assert counters.read() == {"a": 5, "c": 1}


def test_with_the_counter_store_down_counting_is_skipped_and_a_scrape_still_answers(client, db, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    observe_checks([Observation(1, "up", timezone.now(), latency_ms=5.0)], {1: "http"})
    samples = scrape(client)
    assert ("vigil_monitors", (("state", "up"),)) in samples
    assert not any(name.startswith("vigil_probe") for name, _ in samples)
