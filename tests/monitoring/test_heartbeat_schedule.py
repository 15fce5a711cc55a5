"""When a heartbeat is overdue: period and grace, cron in a time zone across DST, validation, wording."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from monitoring.heartbeat_schedule import ScheduleError, check_cron, duration, next_deadline, overdue_reason
from monitoring.models import Monitor

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
T0 = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)


def heartbeat(**fields) -> Monitor:
    fields.setdefault("created_at", datetime(2020, 1, 1, tzinfo=UTC))
    fields.setdefault("period_seconds", 3600)
    fields.setdefault("grace_seconds", 300)
    return Monitor(pk=1, name="nightly backup", kind=Monitor.Kind.HEARTBEAT, **fields)


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


# --- Period and grace ----------------------------------------------------------------------


def test_a_period_deadline_is_the_last_ping_plus_period_plus_grace():
    m = heartbeat(last_ping_at=T0)
    assert next_deadline(m, T0) == T0 + timedelta(hours=1, minutes=5)


def test_a_never_pinged_heartbeat_waits_from_its_creation():
    m = heartbeat(created_at=T0)
    assert next_deadline(m, T0 + timedelta(minutes=1)) == T0 + timedelta(hours=1, minutes=5)


def test_a_resumed_heartbeat_waits_from_its_resumption_not_its_old_ping():
    m = heartbeat(last_ping_at=T0 - timedelta(days=3), state_changed_at=T0, state=Monitor.State.PENDING)
    assert next_deadline(m, T0) == T0 + timedelta(hours=1, minutes=5)


# --- Cron, in a time zone, across DST ----------------------------------------------------------


def test_a_cron_deadline_is_the_next_run_after_the_last_ping_plus_grace():
    m = heartbeat(cron="0 3 * * *", cron_timezone="UTC", last_ping_at=datetime(2026, 1, 10, 3, 0, 20, tzinfo=UTC))
    assert next_deadline(m, T0) == datetime(2026, 1, 11, 3, 5, tzinfo=UTC)


def test_a_run_in_the_hour_skipped_in_spring_is_expected_right_after_the_change():
    # Paris, 31 March 2024: 02:00 CET jumps to 03:00 CEST; cron runs a 02:30 job at 03:00.
    pinged = datetime(2024, 3, 30, 2, 30, 10, tzinfo=PARIS)
    m = heartbeat(cron="30 2 * * *", cron_timezone="Europe/Paris", last_ping_at=utc(pinged))
    assert next_deadline(m, utc(pinged)) == utc(datetime(2024, 3, 31, 3, 5, tzinfo=PARIS))


def test_a_fixed_time_run_in_the_hour_repeated_in_autumn_is_expected_once():
    # Paris, 27 October 2024: 03:00 CEST falls back to 02:00 CET; cron runs a 02:30 job once.
    pinged = datetime(2024, 10, 27, 2, 30, 5, tzinfo=PARIS)  # the first 02:30 (CEST)
    assert pinged.utcoffset() == timedelta(hours=2)
    m = heartbeat(cron="30 2 * * *", cron_timezone="Europe/Paris", last_ping_at=utc(pinged))
    assert next_deadline(m, utc(pinged)) == utc(datetime(2024, 10, 28, 2, 35, tzinfo=PARIS))


def test_the_day_before_autumns_change_expects_the_first_occurrence():
    m = heartbeat(
        cron="30 2 * * *", cron_timezone="Europe/Paris", last_ping_at=utc(datetime(2024, 10, 26, 2, 30, tzinfo=PARIS))
    )
    assert next_deadline(m, T0) == datetime(2024, 10, 27, 0, 35, tzinfo=UTC)  # 02:35 CEST


def test_an_hourly_job_runs_in_both_repeated_hours():
    pinged = datetime(2024, 10, 27, 0, 0, 5, tzinfo=UTC)  # 02:00:05 CEST
    m = heartbeat(cron="0 * * * *", cron_timezone="Europe/Paris", last_ping_at=pinged, grace_seconds=60)
    assert next_deadline(m, pinged) == datetime(2024, 10, 27, 1, 1, tzinfo=UTC)  # 02:01 CET


def test_a_daily_job_keeps_its_local_time_when_new_york_springs_forward():
    pinged = datetime(2024, 3, 9, 9, 0, 30, tzinfo=NEW_YORK)  # EST, UTC-5
    m = heartbeat(cron="0 9 * * *", cron_timezone="America/New_York", last_ping_at=utc(pinged), grace_seconds=600)
    assert next_deadline(m, utc(pinged)) == datetime(2024, 3, 10, 13, 10, tzinfo=UTC)  # 09:10 EDT, UTC-4


def test_a_schedule_broken_behind_the_models_back_falls_back_to_the_period():
    m = heartbeat(cron="not a schedule", last_ping_at=T0)
    assert next_deadline(m, T0) == T0 + timedelta(hours=1, minutes=5)
    assert "expected every 1 h" in overdue_reason(m, T0 + timedelta(hours=2))


# --- Validation ---------------------------------------------------------------------------------


@pytest.mark.parametrize("expr", ["0 3 * * *", "*/15 * * * 1-5", "@daily", "@hourly", "0 0 29 2 *"])
def test_good_cron_expressions_pass(expr):
    check_cron(expr, "Europe/Paris")


@pytest.mark.parametrize("expr", ["", "61 * * * *", "0 3 * *", "* * * * * *", "@reboot", "0 0 30 2 *"])
def test_bad_cron_expressions_are_refused_on_the_cron_field(expr):
    with pytest.raises(ValueError) as raised:
        check_cron(expr, "UTC")
    assert raised.value.field == "cron"


@pytest.mark.parametrize("tz", ["Mars/Olympus", "../../etc/passwd", ""])
def test_unknown_time_zones_are_refused_on_the_time_zone_field(tz):
    with pytest.raises(ScheduleError) as raised:
        check_cron("0 3 * * *", tz)
    assert raised.value.field == "cron_timezone"


def test_the_model_puts_each_error_on_its_field():
    with pytest.raises(ValidationError) as raised:
        heartbeat(cron="0 25 * * *").clean()
    assert list(raised.value.message_dict) == ["cron"]
    with pytest.raises(ValidationError) as raised:
        heartbeat(cron="0 3 * * *", cron_timezone="Europe/Atlantis").clean()
    assert list(raised.value.message_dict) == ["cron_timezone"]
    heartbeat(cron="0 3 * * *", cron_timezone="Europe/Paris").clean()


# --- Wording --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(45, "45 s"), (300, "5 min"), (3600, "1 h"), (3900, "1 h 05 min"), (86400, "1 d"), (183600, "2 d 3 h")],
)
def test_durations_read_the_way_people_say_them(seconds, words):
    assert duration(seconds) == words


def test_an_overdue_period_says_how_long_and_what_was_expected():
    m = heartbeat(last_ping_at=T0)
    assert overdue_reason(m, T0 + timedelta(hours=1, minutes=5)) == (
        "no ping for 1 h 05 min; expected every 1 h with 5 min grace"
    )


def test_an_overdue_heartbeat_that_never_pinged_says_so():
    m = heartbeat(created_at=T0)
    assert overdue_reason(m, T0 + timedelta(hours=2)).startswith("no ping yet in 2 h;")


def test_an_overdue_cron_says_when_the_run_was_expected_in_its_time_zone():
    pinged = datetime(2026, 1, 9, 3, 0, 30, tzinfo=PARIS)
    m = heartbeat(cron="0 3 * * *", cron_timezone="Europe/Paris", last_ping_at=utc(pinged))
    now = utc(datetime(2026, 1, 10, 3, 5, 30, tzinfo=PARIS))
    assert overdue_reason(m, now) == "no ping for 1 d; expected at 03:00 Europe/Paris (+5 min grace)"
    much_later = now + timedelta(days=3)
    assert "expected at 2026-01-10 03:00 Europe/Paris" in overdue_reason(m, much_later)
