"""Heartbeat pings: the URL and its variants, the Redis buffer and its flush, overdue heartbeats.

The Redis tests need REDIS_URL (skipped without it, failed under REQUIRE_SERVICES=1); the direct
path (no Redis: the ping is written in the request) runs everywhere.
"""

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from monitoring import heartbeats
from monitoring.dispatch import dispatch
from monitoring.models import CheckResult, Monitor
from monitoring.recording import record_observations
from vigil import db as vigil_db

State = Monitor.State
VARIANTS = [("ping", "success"), ("ping-start", "start"), ("ping-fail", "fail")]


@pytest.fixture
def direct(settings):
    """No Redis: pings go straight to the database."""
    settings.REDIS_URL = ""


@pytest.fixture
def buffer(redis_url, settings):
    """Pings go to the Redis buffer, emptied before and after."""
    settings.REDIS_URL = redis_url
    ping_buffer = heartbeats.ping_buffer()
    ping_buffer.clear()
    yield ping_buffer
    ping_buffer.clear()


def make_heartbeat(name="nightly backup", **fields) -> Monitor:
    if "last_ping_at" in fields:  # a heartbeat that pinged before was created before
        fields.setdefault("created_at", fields["last_ping_at"] - timedelta(days=1))
    fields.setdefault("period_seconds", 3600)
    fields.setdefault("grace_seconds", 300)
    return Monitor.objects.create(name=name, kind=Monitor.Kind.HEARTBEAT, **fields)


@pytest.fixture
def hb(db) -> Monitor:
    return make_heartbeat()


def url(monitor: Monitor, route: str = "ping") -> str:
    return reverse(route, args=[monitor.ping_token])


def results(monitor: Monitor) -> list[tuple[int, str]]:
    return list(monitor.results.order_by("checked_at").values_list("outcome", "reason"))


# --- The URL ---------------------------------------------------------------------------------


def test_the_monitor_links_to_its_ping_url(hb):
    assert hb.ping_url == f"/ping/{hb.ping_token}"


@pytest.mark.parametrize("method", ["get", "post", "head"])
@pytest.mark.parametrize(("route", "kind"), VARIANTS)
def test_every_variant_answers_every_method_without_login_or_csrf(direct, hb, route, kind, method):
    client = Client(enforce_csrf_checks=True)
    response = getattr(client, method)(url(hb, route))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain"
    assert response["Cache-Control"] == "no-store"
    if method != "head":
        assert response.content == b"OK"
    hb.refresh_from_db()
    if kind == "start":
        assert hb.last_start_at is not None and hb.last_ping_at is None
        assert hb.state == State.PENDING and results(hb) == []
    else:
        assert hb.last_ping_at is not None
        expected = State.UP if kind == "success" else State.DOWN
        assert hb.state == expected


def test_a_trailing_slash_is_accepted(direct, hb, client):
    assert client.get(f"/ping/{hb.ping_token}/fail/").status_code == 200
    hb.refresh_from_db()
    assert hb.state == State.DOWN


def test_a_post_body_is_ignored(direct, hb, client):
    response = client.post(url(hb), data=b"x" * 10_000, content_type="application/octet-stream")
    assert response.status_code == 200


def test_other_methods_are_refused(direct, hb, client):
    assert client.put(url(hb)).status_code == 405
    assert client.delete(url(hb)).status_code == 405
    hb.refresh_from_db()
    assert hb.last_ping_at is None


def test_an_unknown_token_is_not_found(direct, db, client):
    response = client.get(f"/ping/{uuid.uuid4()}")
    assert response.status_code == 404
    assert response.content == b"not found"


def test_a_malformed_token_is_not_found(db, client):
    assert client.get("/ping/not-a-uuid").status_code == 404


def test_a_monitor_that_is_not_a_heartbeat_takes_no_pings(direct, db, client):
    http = Monitor.objects.create(name="site", kind=Monitor.Kind.HTTP, target="https://example.com/")
    assert client.get(url(http)).status_code == 404
    http.refresh_from_db()
    assert http.last_ping_at is None


def test_an_unknown_token_is_remembered_so_a_flood_costs_no_queries(direct, db, client, django_assert_num_queries):
    token = uuid.uuid4()
    assert client.get(f"/ping/{token}").status_code == 404
    with django_assert_num_queries(0):
        assert client.get(f"/ping/{token}").status_code == 404


# --- What a ping does (direct path) -------------------------------------------------------------


def test_a_success_brings_the_heartbeat_up_and_sets_its_deadline(direct, hb, client):
    before = timezone.now()
    client.get(url(hb))
    hb.refresh_from_db()
    assert hb.state == State.UP
    assert before <= hb.last_ping_at <= timezone.now()
    assert hb.next_check_at == hb.last_ping_at + timedelta(hours=1, minutes=5)
    assert results(hb) == [(CheckResult.Outcome.UP, "")]


def test_a_failure_is_down_at_once_with_its_reason(direct, hb, client):
    client.get(url(hb))
    client.get(url(hb, "ping-fail"))
    hb.refresh_from_db()
    assert hb.state == State.DOWN
    assert hb.state_reason == "the job reported a failure"
    assert hb.next_check_at is None  # nothing to wait for until the next success
    assert results(hb)[-1] == (CheckResult.Outcome.DOWN, "the job reported a failure")
    client.get(url(hb))
    hb.refresh_from_db()
    assert hb.state == State.UP


def test_a_start_then_success_records_the_jobs_run_time(direct, hb, client):
    client.get(url(hb, "ping-start"))
    hb.refresh_from_db()
    started = hb.last_start_at
    client.get(url(hb))
    hb.refresh_from_db()
    run_ms = (hb.last_ping_at - started).total_seconds() * 1000
    assert hb.last_latency_ms == pytest.approx(run_ms)
    assert hb.results.get().latency_ms == pytest.approx(run_ms)


def test_a_success_without_a_start_of_its_own_has_no_run_time(direct, hb, client):
    client.get(url(hb, "ping-start"))
    client.get(url(hb))
    client.get(url(hb))  # its start was before the previous success
    hb.refresh_from_db()
    assert hb.last_latency_ms is None


def test_a_paused_heartbeat_answers_and_keeps_the_time_but_changes_nothing(direct, db, client):
    paused = make_heartbeat(state=State.PAUSED)
    assert client.get(url(paused, "ping-fail")).status_code == 200
    paused.refresh_from_db()
    assert paused.state == State.PAUSED
    assert paused.last_ping_at is not None
    assert results(paused) == [] and paused.state_changes.count() == 0


# --- The Redis buffer ------------------------------------------------------------------------------


def test_a_buffered_ping_touches_no_database_until_the_flush(buffer, hb, client, django_assert_num_queries):
    assert client.get(url(hb)).status_code == 200  # the first one looks the token up
    with django_assert_num_queries(0):
        for route, _ in VARIANTS:
            assert client.get(url(hb, route)).status_code == 200
    hb.refresh_from_db()
    assert hb.last_ping_at is None and hb.state == State.PENDING

    flushed = heartbeats.flush_pings()
    assert (flushed.added, flushed.rows, flushed.dropped) == (4, 1, 0)
    hb.refresh_from_db()
    assert hb.last_ping_at is not None and hb.last_start_at is not None
    # The success came before the failure: both are recorded, in order, and the last one stands.
    assert [outcome for outcome, _ in results(hb)] == [CheckResult.Outcome.UP, CheckResult.Outcome.DOWN]
    assert hb.state == State.DOWN
    assert heartbeats.flush_pings() == heartbeats.Flushed()  # nothing left


def test_an_unknown_token_is_not_found_with_redis_too(buffer, db, client):
    assert client.get(f"/ping/{uuid.uuid4()}").status_code == 404
    assert heartbeats.flush_pings().added == 0


def test_a_deleted_heartbeat_stops_answering_after_the_next_flush(buffer, hb, client):
    client.get(url(hb))
    ping_url = url(hb)
    Monitor.objects.filter(pk=hb.pk).delete()
    assert client.get(ping_url).status_code == 200  # still in the token set
    flushed = heartbeats.flush_pings()
    assert (flushed.added, flushed.dropped) == (0, 2)
    assert client.get(ping_url).status_code == 404


def test_pings_arriving_during_a_flush_are_not_lost(buffer, hb, monkeypatch):
    heartbeats.record_ping(hb.ping_token)
    write = heartbeats._write
    batches = []

    def write_while_pings_arrive(tallies, now=None):
        batches.append(tallies[str(hb.ping_token)].pings)
        if len(batches) == 1:
            for _ in range(3):
                assert heartbeats.record_ping(hb.ping_token)
        return write(tallies, now)

    monkeypatch.setattr(heartbeats, "_write", write_while_pings_arrive)
    assert heartbeats.flush_pings().added == 4
    assert batches == [1, 3]  # the three came in a new buffer, not into the batch being written


def test_a_batch_whose_write_failed_is_written_by_the_next_flush(buffer, hb, monkeypatch):
    heartbeats.record_ping(hb.ping_token, "start")
    heartbeats.record_ping(hb.ping_token)

    def broken(tallies, now=None):
        raise RuntimeError("database went away")

    monkeypatch.setattr(heartbeats, "_write", broken)
    with pytest.raises(RuntimeError):
        heartbeats.flush_pings()
    monkeypatch.undo()
    heartbeats.record_ping(hb.ping_token)  # a new buffer meanwhile
    flushed = heartbeats.flush_pings()
    assert flushed.added == 3
    hb.refresh_from_db()
    assert hb.state == State.UP


def test_no_ping_is_lost_to_concurrent_flushes(buffer, hb):
    others = [make_heartbeat(f"job {i}") for i in range(3)]
    tokens = [m.ping_token for m in (hb, *others)]
    for token in tokens:  # known to Redis from here on: the threads touch no database
        heartbeats.record_ping(token)
    sent = len(tokens)
    per_thread, threads_n = 300, 4

    def pinger(offset):
        for i in range(per_thread):
            assert heartbeats.record_ping(tokens[(i + offset) % len(tokens)], ("success", "start")[i % 2])

    threads = [threading.Thread(target=pinger, args=(n,)) for n in range(threads_n)]
    for thread in threads:
        thread.start()
    flushed = 0
    while any(thread.is_alive() for thread in threads):
        flushed += heartbeats.flush_pings().added
    for thread in threads:
        thread.join()
    flushed += heartbeats.flush_pings().added
    assert flushed == sent + per_thread * threads_n
    assert Monitor.objects.filter(pk__in=[m.pk for m in (hb, *others)], state=State.UP).count() == 4


def test_pings_go_on_after_redis_forgets_its_scripts(buffer, hb):
    assert heartbeats.record_ping(hb.ping_token)
    buffer.client.script_flush()
    assert heartbeats.record_ping(hb.ping_token)
    assert heartbeats.flush_pings().added == 2


def test_a_ping_with_redis_down_is_written_directly(settings, hb):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    assert heartbeats.record_ping(hb.ping_token)
    hb.refresh_from_db()
    assert hb.state == State.UP
    assert not heartbeats.flush_pings().complete


# --- Overdue heartbeats -------------------------------------------------------------------------------


NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def test_an_overdue_heartbeat_is_down_with_the_reason(direct, db):
    late = make_heartbeat(last_ping_at=NOW - timedelta(hours=1, minutes=6), state=State.UP)
    [observation] = heartbeats.overdue_observations([late.pk], NOW)
    assert observation.state == "down"
    assert observation.reason == "no ping for 1 h 06 min; expected every 1 h with 5 min grace"
    assert observation.due_at == NOW - timedelta(minutes=1)
    record_observations([observation], now=NOW)
    late.refresh_from_db()
    assert late.state == State.DOWN  # confirmed at once: a heartbeat's threshold is one
    assert late.state_reason == observation.reason
    assert late.next_check_at is None


def test_a_cron_heartbeat_says_when_its_run_was_expected(direct, db):
    nightly = make_heartbeat(
        cron="0 3 * * *",
        cron_timezone="Europe/Paris",
        last_ping_at=datetime(2026, 11, 25, 2, 0, 10, tzinfo=UTC),  # 03:00:10 in Paris
    )
    [observation] = heartbeats.overdue_observations([nightly.pk], NOW)
    assert observation.reason == "no ping for 1 d 9 h; expected at 03:00 Europe/Paris (+5 min grace)"


def test_a_heartbeat_whose_ping_waits_in_the_buffer_is_not_overdue(buffer, db):
    m = make_heartbeat(last_ping_at=timezone.now() - timedelta(hours=2), state=State.UP)
    heartbeats.record_ping(m.ping_token)
    now = timezone.now()
    assert heartbeats.overdue_observations([m.pk], now) == []
    m.refresh_from_db()
    assert m.state == State.UP
    assert m.next_check_at == m.last_ping_at + timedelta(hours=1, minutes=5)


def test_a_heartbeat_not_yet_overdue_gets_its_deadline_back(direct, db):
    m = make_heartbeat(last_ping_at=NOW - timedelta(minutes=10), next_check_at=NOW + timedelta(minutes=2))
    assert heartbeats.overdue_observations([m.pk], NOW) == []
    m.refresh_from_db()
    assert m.next_check_at == NOW + timedelta(minutes=55)


def test_the_dispatcher_takes_a_silent_heartbeat_down(direct, db):
    now = timezone.now()
    silent = make_heartbeat(
        state=State.UP, last_ping_at=now - timedelta(hours=2), next_check_at=now - timedelta(hours=1)
    )
    report = dispatch(now)
    assert report.heartbeats == 1
    silent.refresh_from_db()
    assert silent.state == State.DOWN
    assert silent.state_reason.startswith("no ping for 2 h;")


# --- Saving in bulk ---------------------------------------------------------------------------------


def test_bulk_set_saves_each_rows_own_values_nulls_included_and_nothing_else(db):
    a, b, untouched = make_heartbeat("a"), make_heartbeat("b"), make_heartbeat("c", next_check_at=NOW)
    a.next_check_at, a.last_ping_at = NOW + timedelta(minutes=1), NOW
    b.next_check_at, b.last_ping_at = None, None
    vigil_db.bulk_set([a, b], ["next_check_at", "last_ping_at"])
    assert Monitor.objects.get(pk=a.pk).next_check_at == NOW + timedelta(minutes=1)
    assert Monitor.objects.get(pk=a.pk).last_ping_at == NOW
    assert Monitor.objects.get(pk=b.pk).next_check_at is None
    assert Monitor.objects.get(pk=untouched.pk).next_check_at == NOW
    b.state, b.recent_outcomes = State.DOWN, "ux"
    vigil_db.bulk_set([b], ["state", "recent_outcomes", "last_ping_at"])  # a column of NULLs only
    b.refresh_from_db()
    assert (b.state, b.recent_outcomes, b.last_ping_at) == (State.DOWN, "ux", None)


def test_bulk_set_splits_large_batches(db, monkeypatch):
    monkeypatch.setattr(vigil_db, "BULK_SET_ROWS", 2)
    monitors = [make_heartbeat(f"job {n}") for n in range(5)]
    for n, monitor in enumerate(monitors):
        monitor.grace_seconds = n
    vigil_db.bulk_set(monitors, ["grace_seconds"])
    assert list(Monitor.objects.order_by("pk").values_list("grace_seconds", flat=True)) == [0, 1, 2, 3, 4]


def test_a_ping_is_answered_before_the_session_and_login_middleware_and_as_the_url_conf_would(db, client):
    from monitoring import services
    from monitoring.models import Monitor
    from vigil.audit import Actor

    heartbeat = services.do_create_monitor(
        Actor(via="cli"), name="Backup", kind=Monitor.Kind.HEARTBEAT, period_seconds=3600
    )
    token = str(heartbeat.ping_token)
    response = client.get(f"/ping/{token}")
    assert response.status_code == 200 and response.content == b"OK"
    assert "Vary" not in response and not response.cookies  # no session, no CSRF: the stack below was skipped
    assert response["X-Frame-Options"] == "DENY" and response["Cache-Control"] == "no-store"
    assert client.get(f"/ping/{token}/fail/").status_code == 200
    assert client.put(f"/ping/{token}").status_code == 405
    assert client.get(f"/ping/{token.upper()}").status_code == 404  # the URL conf's rule: lower-case only
    assert client.get("/ping/00000000-0000-0000-0000-000000000000").status_code == 404
