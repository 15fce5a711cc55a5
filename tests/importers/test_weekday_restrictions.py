"""Opsgenie weekday restrictions and OnCall weekly shifts as Vigil windows and days: pure, no database."""

from datetime import time

import pytest

from importers.grafana_oncall.shifts import Unmappable as ShiftUnmappable
from importers.grafana_oncall.shifts import map_shift
from importers.opsgenie.rotations import Unmappable, map_rotation
from incidents.models.oncall import ALL_DAYS, days_mask


def rule(start_day: str, start: int, end_day: str, end: int) -> dict:
    return {"startDay": start_day, "startHour": start, "startMin": 0, "endDay": end_day, "endHour": end, "endMin": 0}


def opsgenie(*rules) -> list[tuple]:
    rotation = {"name": "R", "startDate": "2027-01-04T08:00:00Z", "type": "daily", "length": 1,
                "participants": [{"type": "user", "id": "U1"}],
                "timeRestriction": {"type": "weekday-and-time-of-day", "restrictions": list(rules)}}  # fmt: skip
    mapped = map_rotation(rotation, 1)
    assert not mapped.approximations
    return [(s.get("active_from"), s.get("active_until"), s["days"]) for s in mapped.settings]


def test_a_window_on_weekdays_is_one_rotation_on_those_days():
    days = ["monday", "tuesday", "wednesday", "thursday", "friday"]
    assert opsgenie(*(rule(d, 9, d, 17) for d in days)) == [(time(9), time(17), days_mask(range(1, 6)))]


def test_a_weekend_is_split_at_midnights_and_a_night_is_its_evening_s_window():
    assert opsgenie(rule("friday", 18, "monday", 6)) == [
        (time(18), None, days_mask([5])),
        (None, None, days_mask([6, 7])),
        (None, time(6), days_mask([1])),
    ]
    assert opsgenie(rule("sunday", 22, "monday", 6)) == [(time(22), time(6), days_mask([7]))]


def test_an_end_before_the_start_wraps_the_week():
    assert opsgenie(rule("wednesday", 17, "wednesday", 9)) == [
        (time(17), None, days_mask([3])),
        (None, None, days_mask([4, 5, 6, 7, 1, 2])),
        (None, time(9), days_mask([3])),
    ]
    assert opsgenie(rule("monday", 9, "monday", 9)) == [(None, None, ALL_DAYS)]


def test_an_unknown_day_is_unmappable():
    with pytest.raises(Unmappable):
        opsgenie(rule("someday", 9, "friday", 17))


def shift(**more) -> dict:
    return {"id": "S", "name": "S", "type": "rolling_users", "time_zone": "Europe/Berlin", "frequency": "weekly",
            "interval": 1, "rolling_users": [["U1"], ["U2"]], "start": "2027-01-04T09:00:00", **more}  # fmt: skip


def test_by_day_on_a_weekly_shift_is_the_rotation_s_days():
    mapped = map_shift(shift(duration=8 * 3600, by_day=["MO", "WE", "FR"], week_start="MO"), "Europe/Berlin")
    assert not mapped.approximations
    assert [(s["active_from"], s["active_until"], s["days"]) for s in mapped.settings] == [
        (time(9), time(17), days_mask([1, 3, 5]))
    ]


def test_a_weekly_event_running_into_the_next_turn_is_unmappable():
    with pytest.raises(ShiftUnmappable):
        map_shift(shift(duration=30 * 3600, by_day=["SU"]), "Europe/Berlin")
