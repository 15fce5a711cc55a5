"""Uptime over windows: exact figures from rollups plus the live edges, in a constant number of queries."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from monitoring import rollups
from monitoring.models import MaintenanceWindow, Monitor, StateChange
from monitoring.uptime import measure, ratio, uptime_for, uptime_windows

CREATED = datetime(2025, 3, 8, 21, 0, tzinfo=UTC)
NOW = datetime(2025, 3, 10, 12, 30, tzinfo=UTC)


def change(monitor, when: datetime, from_state: str, to_state: str) -> None:
    StateChange.objects.create(monitor=monitor, at=when, from_state=from_state, to_state=to_state)


@pytest.fixture
def monitor(db):
    """Up since 03-08 21:00, but: down 03-09 02:00-02:30; paused 03-09 06:00-12:00; a maintenance
    window 03-10 11:50-12:10, spanning the hour, and down 03-10 12:00-12:20. Rolled up until NOW."""
    cache.delete(rollups.ROLLED_UNTIL_KEY)
    m = Monitor.objects.create(name="API", target="http://api.example", created_at=CREATED)
    day = datetime(2025, 3, 9, tzinfo=UTC)
    for when, from_state, to_state in [
        (CREATED, "pending", "up"),
        (day + timedelta(hours=2), "up", "down"),
        (day + timedelta(hours=2, minutes=30), "down", "up"),
        (day + timedelta(hours=6), "up", "paused"),
        (day + timedelta(hours=12), "paused", "up"),
        (day + timedelta(days=1, hours=12), "up", "down"),
        (day + timedelta(days=1, hours=12, minutes=20), "down", "up"),
    ]:
        change(m, when, from_state, to_state)
    MaintenanceWindow.objects.create(
        monitor=m,
        starts_at=day + timedelta(days=1, hours=11, minutes=50),
        ends_at=day + timedelta(days=1, hours=12, minutes=10),
    )
    rollups.roll_up(now=NOW, since=CREATED)
    return m


def test_the_windows_count_downtime_over_monitored_time(monitor):
    figures = uptime_windows([monitor.pk], now=NOW)[monitor.pk]
    # 24 h: all monitored but the 20 min window; down 12:10-12:20 (12:00-12:10 is in the window).
    assert figures["24h"] == pytest.approx(1 - 600 / (86400 - 1200))
    # Since creation (39.5 hours ago), less the 6 h pause and the window; down 30 + 10 min.
    monitored = 39.5 * 3600 - 6 * 3600 - 1200
    assert figures["7d"] == pytest.approx(1 - 2400 / monitored)
    assert figures["30d"] == figures["90d"] == figures["7d"]


def test_reading_rollups_gives_the_same_figure_as_the_whole_history(monitor):
    for since in [
        datetime(2025, 3, 8, 20, 0, tzinfo=UTC),  # before the monitor existed
        datetime(2025, 3, 8, 23, 17, 41, tzinfo=UTC),  # mid-hour, a whole day follows
        datetime(2025, 3, 9, 2, 15, tzinfo=UTC),  # mid-outage
        datetime(2025, 3, 9, 0, 0, tzinfo=UTC),  # midnight
        datetime(2025, 3, 10, 11, 10, tzinfo=UTC),  # within the live hours only
    ]:
        monitored, down = measure([(since, NOW)], [monitor.pk])[monitor.pk][(since, NOW)]
        assert uptime_for([monitor.pk], since, NOW)[monitor.pk] == pytest.approx(ratio(monitored, down)), since


def test_the_live_edge_sees_a_change_the_rollups_do_not_have_yet(monitor):
    change(monitor, NOW - timedelta(minutes=5), "up", "down")
    # The last hour: the 20 min window out; down 12:10-12:20 and the last 5 min.
    assert uptime_for([monitor.pk], NOW - timedelta(hours=1), NOW)[monitor.pk] == pytest.approx(1 - 900 / 2400)


def test_nothing_monitored_is_no_figure(monitor):
    paused = Monitor.objects.create(name="Paused", target="http://p.example", state="paused", created_at=CREATED)
    figures = uptime_windows([paused.pk, monitor.pk, 999_999], now=NOW)
    assert figures[paused.pk] == {"24h": None, "7d": None, "30d": None, "90d": None}
    assert figures[999_999]["90d"] is None
    assert figures[monitor.pk]["90d"] is not None


def test_the_windows_take_the_same_queries_for_one_monitor_or_many(monitor):
    many = [monitor.pk]
    for n in range(5):
        other = Monitor.objects.create(name=f"M{n}", target="http://m.example", created_at=CREATED)
        change(other, CREATED, "pending", "up")
        many.append(other.pk)
    with CaptureQueriesContext(connection) as one:
        uptime_windows([monitor.pk], now=NOW)
    with CaptureQueriesContext(connection) as six:
        figures = uptime_windows(many, now=NOW)
    assert len(one) == len(six) == 5
    assert figures[monitor.pk] == uptime_windows([monitor.pk], now=NOW)[monitor.pk]
