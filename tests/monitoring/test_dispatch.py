"""The dispatcher and probe batches: claims, SKIP LOCKED, batching, and real probes end to end."""

import socket
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test import TestCase
from django.utils import timezone

from incidents.models import Incident
from monitoring import batches, dispatch, tasks
from monitoring.models import CheckResult, Monitor
from tests.conftest import need

State = Monitor.State


def make_monitors(count, due_in=-1.0, **fields):
    now = timezone.now()
    fields.setdefault("target", "https://example.com/")
    return Monitor.objects.bulk_create(
        Monitor(name=f"m{i}", next_check_at=now + timedelta(seconds=due_in) - timedelta(milliseconds=i), **fields)
        for i in range(count)
    )


def test_claim_takes_due_monitors_most_overdue_first_and_leases_them(db):
    due = make_monitors(3)
    make_monitors(2, due_in=60)  # not due
    Monitor.objects.create(
        name="paused", target="https://example.com/", state=State.PAUSED, next_check_at=timezone.now()
    )
    now = timezone.now()
    claimed = dispatch.claim_due(now, limit=10)
    assert [pk for pk, _, _ in claimed] == [m.pk for m in reversed(due)]
    assert all(due_at <= now for _, _, due_at in claimed)
    assert dispatch.claim_due(now, limit=10) == []  # leased
    leased = Monitor.objects.filter(pk__in=[m.pk for m in due]).values_list("next_check_at", flat=True)
    assert set(leased) == {now + dispatch.LEASE}


def test_claim_respects_the_limit(db):
    make_monitors(5)
    now = timezone.now()
    assert len(dispatch.claim_due(now, limit=2)) == 2
    assert len(dispatch.claim_due(now, limit=10)) == 3


def test_dispatch_hands_out_batches_of_the_configured_size(db, settings):
    settings.VIGIL_PROBE_BATCH_SIZE = 4
    make_monitors(10)
    sent = []
    report = dispatch.dispatch(send=sent.append)
    assert report.probes == 10 and report.batches == 3
    assert [len(batch["items"]) for batch in sent] == [4, 4, 2]
    assert len({pk for batch in sent for pk, _ in batch["items"]}) == 10
    assert report.max_lag_s >= 1.0


@pytest.fixture
def postgres():
    need("PostgreSQL", connection.vendor == "postgresql", "SKIP LOCKED is tested on PostgreSQL (set DATABASE_URL)")


@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_at_once_claim_every_monitor_exactly_once(postgres):
    make_monitors(400)
    claims, errors = [], []
    barrier = threading.Barrier(4)

    def run():
        try:
            barrier.wait(timeout=10)
            while batch := dispatch.claim_due(timezone.now(), limit=25):
                claims.extend(pk for pk, _, _ in batch)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors
    assert len(claims) == 400 and len(set(claims)) == 400


@pytest.mark.django_db(transaction=True)
def test_a_dispatcher_skips_rows_another_holds_instead_of_waiting(postgres):
    monitors = make_monitors(6)
    held = [m.pk for m in monitors[:3]]
    locked, release = threading.Event(), threading.Event()

    def hold_locks():  # a dispatcher stuck mid-claim
        try:
            with transaction.atomic():
                list(Monitor.objects.select_for_update().filter(pk__in=held))
                locked.set()
                release.wait(timeout=10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_locks)
    holder.start()
    try:
        assert locked.wait(timeout=10)
        started = time.monotonic()
        claimed = {pk for pk, _, _ in dispatch.claim_due(timezone.now(), limit=10)}
        assert time.monotonic() - started < 2
        assert claimed == {m.pk for m in monitors[3:]}
    finally:
        release.set()
        holder.join(timeout=10)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_run_checks_probes_a_batch_and_opens_an_incident_on_a_confirmed_down(servers, db):
    good = Monitor.objects.create(name="ok", target=servers.url("/ok"), next_check_at=timezone.now())
    dead = Monitor.objects.create(
        name="dead", target=f"http://127.0.0.1:{_free_port()}/", next_check_at=timezone.now(), retry_interval_seconds=1
    )
    for _ in range(2):
        sent = []
        Monitor.objects.update(next_check_at=timezone.now())
        dispatch.dispatch(send=sent.append)
        with TestCase.captureOnCommitCallbacks(execute=True):
            for payload in sent:
                tasks.run_checks(payload)
    good.refresh_from_db()
    dead.refresh_from_db()
    assert good.state == State.UP and good.last_latency_ms > 0
    assert dead.state == State.DOWN and "refused" in dead.state_reason
    assert Incident.objects.get().dedup_key == f"monitor:{dead.pk}"
    assert CheckResult.objects.filter(monitor=dead, outcome=CheckResult.Outcome.DOWN).count() == 2


def test_a_batch_older_than_the_lease_is_dropped(db):
    monitor = make_monitors(1)[0]
    stale = {"dispatched_at": time.time() - dispatch.LEASE.total_seconds() - 1, "items": [[monitor.pk, time.time()]]}
    assert tasks.run_checks(stale) == 0
    assert not CheckResult.objects.exists()


def test_invalid_saved_settings_give_a_down_result_with_the_reason(db):
    monitor = Monitor.objects.create(name="bad", target="ftp://nope", next_check_at=timezone.now())
    observations = batches.probe_monitors({monitor.pk: timezone.now()})
    assert observations[0].state == "down" and "invalid settings" in observations[0].reason


def test_a_real_worker_runs_the_dispatched_probes(servers, celery_worker):
    monitor = Monitor.objects.create(name="ok", target=servers.url("/ok"), next_check_at=timezone.now())
    tasks.dispatch.delay()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        monitor.refresh_from_db()
        if monitor.state == State.UP:
            break
        time.sleep(0.1)
    assert monitor.state == State.UP
    assert CheckResult.objects.filter(monitor=monitor).count() == 1
    assert monitor.next_check_at > timezone.now() + timedelta(seconds=30)
