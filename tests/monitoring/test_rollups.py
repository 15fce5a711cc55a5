"""Rollups: each hourly and daily figure of a known history, checked by hand; idempotence; purge."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from incidents.models import Component
from monitoring import rollup_tasks, rollups
from monitoring.models import CheckResult, MaintenanceWindow, Monitor, Rollup, StateChange
from monitoring.uptime import floor_day, floor_hour

DAY = datetime(2025, 3, 4, tzinfo=UTC)
UP, DEGRADED, DOWN = CheckResult.Outcome.UP, CheckResult.Outcome.DEGRADED, CheckResult.Outcome.DOWN


def at(hhmm: str, day: datetime = DAY) -> datetime:
    hours, minutes = hhmm.split(":")
    return day + timedelta(hours=int(hours), minutes=int(minutes))


def changes(monitor: Monitor, *steps: tuple[str, str, str]) -> None:
    for when, from_state, to_state in steps:
        StateChange.objects.create(monitor=monitor, at=at(when), from_state=from_state, to_state=to_state)


def results(monitor: Monitor, *rows: tuple[str, int, float | None]) -> None:
    CheckResult.objects.bulk_create(
        CheckResult(monitor=monitor, checked_at=at(when), outcome=outcome, latency_ms=latency)
        for when, outcome, latency in rows
    )


def row(monitor: Monitor, period: str, start: datetime) -> Rollup:
    return Rollup.objects.get(monitor=monitor, period=period, start=start)


@pytest.fixture(autouse=True)
def forget_the_last_run():
    cache.delete(rollups.ROLLED_UNTIL_KEY)


@pytest.fixture
def history(db):
    """Two monitors on 2025-03-04, UTC.

    A: created 09:00, up from 09:00:10 (before that: pending); down 10:10-10:20; paused 10:40-10:50;
       pending until 10:51, then up; its own maintenance window 10:55-11:10, and the maintenance
       state 10:56-11:11 (entered and left at a check); down 11:11-11:15; up after.
    B: in component C, up from 09:00; down 10:20-11:40 (no check moved it to maintenance); C's
       maintenance window 10:30-11:30.
    """
    a = Monitor.objects.create(name="A", target="http://a.example", created_at=at("09:00"))
    component = Component.objects.create(name="C")
    b = Monitor.objects.create(name="B", target="http://b.example", component=component, created_at=at("09:00"))
    StateChange.objects.create(monitor=a, at=at("09:00") + timedelta(seconds=10), from_state="pending", to_state="up")
    changes(
        a,
        ("10:10", "up", "down"),
        ("10:20", "down", "up"),
        ("10:40", "up", "paused"),
        ("10:50", "paused", "pending"),
        ("10:51", "pending", "up"),
        ("10:56", "up", "maintenance"),
        ("11:11", "maintenance", "down"),
        ("11:15", "down", "up"),
    )
    MaintenanceWindow.objects.create(monitor=a, starts_at=at("10:55"), ends_at=at("11:10"))
    changes(b, ("09:00", "pending", "up"), ("10:20", "up", "down"), ("11:40", "down", "up"))
    MaintenanceWindow.objects.create(component=component, starts_at=at("10:30"), ends_at=at("11:30"))
    # Latency buckets: 100 ms -> 27 (90.5, 107.6], 120 -> 28, 900 -> 40 (776.0, 1024], 50 -> 23, 60 -> 24.
    results(
        a,
        ("10:01", UP, 100.0),
        ("10:02", UP, 100.0),
        ("10:03", UP, 120.0),
        ("10:04", DEGRADED, 900.0),
        ("10:10", DOWN, None),
        ("10:11", DOWN, 10_000.0),  # a timeout: not the service's latency
        ("11:20", UP, 50.0),
        ("11:21", UP, 50.0),
        ("11:22", UP, 60.0),
    )
    return a, b


def test_an_hour_counts_its_checks_and_reads_latency_from_its_histogram(history):
    a, _ = history
    rollups.roll_up(now=at("12:05"), since=at("09:00"))
    ten = row(a, "hour", at("10:00"))
    assert (ten.checks, ten.failures, ten.degraded) == (6, 2, 1)
    assert ten.latency_histogram == {"27": 2, "28": 1, "40": 1}
    assert ten.latency_max_ms == 900.0
    # Median: rank 2 of 4 is the top of bucket 27. p95: rank 3.8 is 80% into bucket 40, above the max.
    assert ten.latency_p50_ms == pytest.approx(2 ** (27 / 4))
    assert ten.latency_p95_ms == 900.0
    eleven = row(a, "hour", at("11:00"))
    assert (eleven.checks, eleven.failures, eleven.degraded) == (3, 0, 0)
    assert eleven.latency_histogram == {"23": 2, "24": 1}
    assert eleven.latency_max_ms == 60.0


def test_an_hour_measures_monitored_time_and_downtime_from_the_state_history(history):
    a, b = history
    rollups.roll_up(now=at("12:05"), since=at("09:00"))
    # A, 09:00: pending for the first 10 s.
    assert row(a, "hour", at("09:00")).monitored_seconds == 3590
    # A, 10:00: up 10 min, down 10, up 20, (paused 10, pending 1), up 10:51-10:55 (its window from 10:55).
    ten = row(a, "hour", at("10:00"))
    assert ten.monitored_seconds == 600 + 600 + 1200 + 240
    assert ten.downtime_seconds == 600
    # A, 11:00: maintenance until 11:11, down 4 min, up 45.
    eleven = row(a, "hour", at("11:00"))
    assert eleven.monitored_seconds == 240 + 2700
    assert eleven.downtime_seconds == 240
    # B's downtime inside its component's window does not count, on either side of the hour.
    assert (row(b, "hour", at("10:00")).monitored_seconds, row(b, "hour", at("10:00")).downtime_seconds) == (1800, 600)
    assert (row(b, "hour", at("11:00")).monitored_seconds, row(b, "hour", at("11:00")).downtime_seconds) == (1800, 600)
    assert row(b, "hour", at("10:00")).checks == 0
    # The current hour so far.
    assert row(a, "hour", at("12:00")).monitored_seconds == 300


def test_a_day_merges_its_hours(history):
    a, _ = history
    rollups.roll_up(now=at("12:05"), since=at("09:00"))
    day = row(a, "day", DAY)
    assert (day.checks, day.failures, day.degraded) == (9, 2, 1)
    assert day.monitored_seconds == 3590 + 2640 + 2940 + 300
    assert day.downtime_seconds == 600 + 240
    assert day.latency_histogram == {"23": 2, "24": 1, "27": 2, "28": 1, "40": 1}
    assert day.latency_max_ms == 900.0
    # Rank 3.5 of 7 is a quarter into bucket 27.
    low, high = 2 ** (26 / 4), 2 ** (27 / 4)
    assert day.latency_p50_ms == pytest.approx(low + (high - low) * 0.25)
    assert day.latency_p95_ms == 900.0


def test_rolling_again_writes_the_same_rows(history):
    rollups.roll_up(now=at("12:05"), since=at("09:00"))
    first = list(Rollup.objects.order_by("monitor", "period", "start").values())
    assert len(first) == 2 * 4 + 2  # two monitors, hours 9-12 and the day
    rollups.roll_up(now=at("12:05"), since=at("09:00"))
    assert list(Rollup.objects.order_by("monitor", "period", "start").values()) == first


def test_a_later_run_completes_the_hour_an_earlier_run_saw_in_part(history):
    a, _ = history
    rollups.roll_up(now=at("11:21"), since=at("09:00"))
    assert row(a, "hour", at("11:00")).checks == 1
    rollups.roll_up(now=at("12:05"))
    assert row(a, "hour", at("11:00")).checks == 3
    assert row(a, "hour", at("11:00")).monitored_seconds == 2940


def test_a_run_rolls_every_hour_since_the_last_run(history):
    a, _ = history
    rollups.roll_up(now=at("09:30"))
    assert not Rollup.objects.filter(start=at("10:00")).exists()
    rollups.roll_up(now=at("12:05"))  # beat was stopped for over two hours
    assert row(a, "hour", at("10:00")).checks == 6
    assert row(a, "day", DAY).checks == 9


def test_a_monitor_never_checked_gets_no_rows(db):
    Monitor.objects.create(name="new", target="http://new.example", created_at=at("09:00"))
    assert rollups.roll_up(now=at("12:05"), since=at("09:00")) == 0


def test_purge_deletes_old_results_in_chunks_and_keeps_recent_ones_and_rollups(history, settings):
    a, _ = history
    now = DAY + timedelta(days=3, hours=12)
    rollups.roll_up(now=at("12:05"), since=at("09:00"))
    kept = CheckResult.objects.create(monitor=a, checked_at=now - timedelta(days=1), outcome=UP, latency_ms=5.0)
    settings.VIGIL_RESULT_RETENTION_DAYS = 2
    assert rollups.purge(now, chunk_size=4) == 9
    assert list(CheckResult.objects.all()) == [kept]
    assert row(a, "hour", at("10:00")).checks == 6
    assert row(a, "day", DAY).checks == 9


def test_a_run_does_not_roll_hours_whose_results_may_be_purged(history, settings):
    a, _ = history
    rollups.roll_up(now=at("12:05"), since=at("09:00"))
    settings.VIGIL_RESULT_RETENTION_DAYS = 1
    later = DAY + timedelta(days=1, hours=11, minutes=30)
    rollups.purge(later)
    assert not CheckResult.objects.exists()
    rollups.roll_up(now=later, since=at("09:00"))
    assert row(a, "hour", at("10:00")).checks == 6
    assert row(a, "day", DAY).checks == 9


def test_the_beat_tasks_roll_up_the_latest_results_and_purge_old_ones(db):
    now = timezone.now()
    monitor = Monitor.objects.create(name="A", target="http://a.example", created_at=now - timedelta(hours=3))
    StateChange.objects.create(monitor=monitor, at=now - timedelta(hours=3), from_state="pending", to_state="up")
    CheckResult.objects.create(monitor=monitor, checked_at=now, outcome=UP, latency_ms=5.0)
    CheckResult.objects.create(monitor=monitor, checked_at=now - timedelta(days=8), outcome=UP, latency_ms=5.0)
    days = {floor_day(now - timedelta(hours=1)), floor_day(now)}  # two just after midnight
    assert rollup_tasks.roll_up.apply().get() == 2 + len(days)  # the previous and current hours, their days
    assert Rollup.objects.get(period="hour", start=floor_hour(now)).checks == 1
    assert rollup_tasks.purge.apply().get() == 1


def test_percentile_interpolates_within_a_bucket_and_stops_at_the_max():
    histogram = {0: 1, 4: 3}  # bucket 0: up to 1 ms; bucket 4: (1.68, 2] ms
    assert rollups.percentile(histogram, 0.25, None) == 1.0
    low = 2 ** (3 / 4)
    assert rollups.percentile(histogram, 0.5, None) == pytest.approx(low + (2 - low) / 3)
    assert rollups.percentile(histogram, 1.0, 1.9) == 1.9
    assert rollups.percentile({}, 0.5, None) is None
