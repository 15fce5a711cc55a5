"""PagerDuty restrictions as Vigil windows and days (importers.pagerduty.layers): pure, no database."""

from datetime import UTC, datetime, time

import pytest

from importers.pagerduty.layers import Unmappable, map_layer
from incidents.models.oncall import ALL_DAYS, days_mask

NOW = datetime(2027, 2, 1, tzinfo=UTC)


def weekly(day: int, start: str, hours: float) -> dict:
    return {"type": "weekly_restriction", "start_day_of_week": day, "start_time_of_day": start,
            "duration_seconds": int(hours * 3600)}  # fmt: skip


def windows(*restrictions) -> list[tuple]:
    layer = {"name": "L", "rotation_virtual_start": "2027-01-04T09:00:00+01:00", "rotation_turn_length_seconds": 86400,
             "users": [{"user": {"id": "P1"}}], "restrictions": list(restrictions)}  # fmt: skip
    mapped = map_layer(layer, 0, NOW)
    assert not mapped.approximations
    return [(s.get("active_from"), s.get("active_until"), s["days"]) for s in mapped.settings]


def test_weekdays_with_one_window_are_one_rotation():
    assert windows(*(weekly(d, "09:00:00", 8) for d in range(1, 6))) == [(time(9), time(17), days_mask(range(1, 6)))]


def test_a_night_is_the_window_of_the_day_it_starts():
    assert windows(weekly(5, "18:00:00", 12)) == [(time(18), time(6), days_mask([5]))]


def test_a_whole_day_from_a_time_of_day_is_split_at_midnight():
    assert windows(weekly(7, "09:00:00", 24)) == [(time(9), None, days_mask([7])), (None, time(9), days_mask([1]))]


def test_a_weekend_is_its_first_evening_whole_days_and_last_morning():
    assert windows(weekly(5, "18:00:00", 60)) == [
        (time(18), None, days_mask([5])),
        (None, None, days_mask([6, 7])),
        (None, time(6), days_mask([1])),
    ]


def test_a_daily_restriction_is_every_day_and_a_week_long_one_all_the_time():
    daily = {"type": "daily_restriction", "start_time_of_day": "22:00:00", "duration_seconds": 8 * 3600}
    assert windows(daily) == [(time(22), time(6), ALL_DAYS)]
    assert windows(weekly(3, "10:00:00", 168)) == [(None, None, ALL_DAYS)]
    assert windows() == [(None, None, ALL_DAYS)]


@pytest.mark.parametrize("restriction", [weekly(0, "09:00:00", 8), weekly(8, "09:00:00", 8), weekly(1, "09:00:00", 0)])
def test_a_restriction_without_a_day_or_a_length_is_unmappable(restriction):
    with pytest.raises(Unmappable):
        windows(restriction)
