"""Shifts of one rotation: lengths, cycling members, daylight-saving changes, daily windows.

Pure computation on unsaved rows: no database.
"""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from incidents.models import Rotation
from incidents.oncall.schedule import RotationPlan, local_to_utc

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
MEMBERS = ("ann", "bob", "cat")


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def plan(starts_at, length=1, unit="weeks", members=MEMBERS, active=(None, None), pk=1) -> RotationPlan:
    """A rotation on a schedule in the zone of STARTS_AT."""
    rotation = Rotation(
        pk=pk,
        starts_at=starts_at,
        shift_length=length,
        shift_unit=unit,
        active_from=active[0],
        active_until=active[1],
    )
    tz = starts_at.tzinfo if isinstance(starts_at.tzinfo, ZoneInfo) else ZoneInfo("UTC")
    return RotationPlan(rotation, list(members), tz)


def handoffs(p: RotationPlan, start, end):
    return [(s.start, s.user) for s in p.shifts(start, end)]


def local(shift_start, tz) -> str:
    return shift_start.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")


# --- Lengths and cycling ------------------------------------------------------------


def test_weekly_shifts_cycle_through_the_members_in_order():
    p = plan(utc(2026, 1, 5, 9))
    assert p.user_at(utc(2026, 1, 5, 9)) == "ann"
    assert p.user_at(utc(2026, 1, 12, 8, 59, 59)) == "ann"
    assert p.user_at(utc(2026, 1, 12, 9)) == "bob"
    assert p.user_at(utc(2026, 1, 19, 9)) == "cat"
    assert p.user_at(utc(2026, 1, 26, 9)) == "ann"  # round again
    assert p.user_at(utc(2026, 1, 5, 8, 59)) is None  # before the first hand-off


def test_daily_shifts_of_two_days():
    p = plan(utc(2026, 2, 1, 8), length=2, unit="days")
    assert handoffs(p, utc(2026, 2, 1, 8), utc(2026, 2, 9)) == [
        (utc(2026, 2, 1, 8), "ann"),
        (utc(2026, 2, 3, 8), "bob"),
        (utc(2026, 2, 5, 8), "cat"),
        (utc(2026, 2, 7, 8), "ann"),
    ]


def test_hourly_shifts_are_fixed_lengths():
    p = plan(utc(2026, 2, 1, 0), length=8, unit="hours")
    shifts = p.shifts(utc(2026, 2, 1), utc(2026, 2, 2))
    assert [(s.start.hour, s.end - s.start, s.user) for s in shifts] == [
        (0, timedelta(hours=8), "ann"),
        (8, timedelta(hours=8), "bob"),
        (16, timedelta(hours=8), "cat"),
    ]
    assert p.user_at(utc(2026, 3, 1, 0)) == MEMBERS[(28 * 3) % 3]


def test_shifts_are_cut_to_the_window_asked_about():
    p = plan(utc(2026, 1, 5, 9))
    shifts = p.shifts(utc(2026, 1, 7), utc(2026, 1, 14))
    assert [(s.start, s.end, s.user) for s in shifts] == [
        (utc(2026, 1, 7), utc(2026, 1, 12, 9), "ann"),
        (utc(2026, 1, 12, 9), utc(2026, 1, 14), "bob"),
    ]


def test_a_rotation_without_members_covers_nobody():
    p = plan(utc(2026, 1, 5, 9), members=())
    assert p.user_at(utc(2026, 1, 6)) is None
    assert p.shifts(utc(2026, 1, 1), utc(2026, 2, 1)) == []


# --- Daylight-saving changes ------------------------------------------------------------

# (zone, first local hand-off, the day clocks change, hours in the shift over the change)
DST_CASES = [
    (PARIS, datetime(2026, 3, 26, 9), datetime(2026, 3, 29), 23),
    (PARIS, datetime(2026, 10, 22, 9), datetime(2026, 10, 25), 25),
    (NEW_YORK, datetime(2026, 3, 5, 9), datetime(2026, 3, 8), 23),
    (NEW_YORK, datetime(2026, 10, 29, 9), datetime(2026, 11, 1), 25),
]


@pytest.mark.parametrize(("tz", "first", "change_day", "hours"), DST_CASES, ids=lambda v: str(v))
def test_a_daily_handoff_stays_at_0900_local_across_the_change(tz, first, change_day, hours):
    p = plan(first.replace(tzinfo=tz), unit="days")
    window_start = (change_day - timedelta(days=2)).replace(hour=9, tzinfo=tz)
    shifts = p.shifts(window_start, (change_day + timedelta(days=3)).replace(hour=9, tzinfo=tz))
    assert [s.start.astimezone(tz).strftime("%d %H:%M") for s in shifts] == [
        f"{(change_day + timedelta(days=d)).day:02d} 09:00" for d in range(-2, 3)
    ]
    by_day = {s.start.astimezone(tz).date(): s for s in shifts}
    before = by_day[(change_day - timedelta(days=1)).date()]
    assert before.end - before.start == timedelta(hours=hours)  # the shift over the change
    after = by_day[change_day.date()]
    assert after.end - after.start == timedelta(hours=24)
    # The UTC hour of the hand-off moves by one; the local one does not.
    assert before.start.astimezone(UTC).hour != after.start.astimezone(UTC).hour


def test_paris_spring_forward_hands_off_at_0900_cest_which_is_0700_utc():
    p = plan(datetime(2026, 3, 26, 9, tzinfo=PARIS), unit="days")
    # 26th ann, 27th bob, 28th cat, 29th ann.
    assert p.user_at(utc(2026, 3, 29, 6, 59)) == "cat"
    assert p.user_at(utc(2026, 3, 29, 7, 0)) == "ann"
    assert p.handoff(3) == utc(2026, 3, 29, 7)
    assert p.handoff(2) == utc(2026, 3, 28, 8)


def test_new_york_fall_back_hands_off_at_0900_est_which_is_1400_utc():
    p = plan(datetime(2026, 10, 29, 9, tzinfo=NEW_YORK), unit="days")
    # 29th ann, 30th bob, 31st cat, Nov 1st ann.
    assert p.handoff(2) == utc(2026, 10, 31, 13)
    assert p.handoff(3) == utc(2026, 11, 1, 14)
    assert p.user_at(utc(2026, 11, 1, 13, 30)) == "cat"
    assert p.user_at(utc(2026, 11, 1, 14)) == "ann"


def test_weekly_handoffs_keep_the_local_time_too():
    p = plan(datetime(2026, 10, 26, 9, tzinfo=NEW_YORK), unit="weeks")  # a Monday
    assert p.handoff(1) == utc(2026, 11, 2, 14)  # 09:00 EST
    assert p.handoff(0) == utc(2026, 10, 26, 13)  # 09:00 EDT
    assert p.handoff(1) - p.handoff(0) == timedelta(days=7, hours=1)


@pytest.mark.parametrize(
    ("tz", "start"),
    [(PARIS, datetime(2026, 3, 28, 22)), (PARIS, datetime(2026, 10, 24, 22)), (NEW_YORK, datetime(2026, 3, 7, 20))],
    ids=str,
)
def test_hour_based_shifts_stay_fixed_length_across_the_change(tz, start):
    p = plan(start.replace(tzinfo=tz), length=8, unit="hours")
    first = start.replace(tzinfo=tz).astimezone(UTC)  # UTC: Python adds wall-clock time within one zone
    shifts = p.shifts(first, first + timedelta(days=2))
    assert len(shifts) == 6
    assert all(s.end - s.start == timedelta(hours=8) for s in shifts)
    assert [s.start for s in shifts] == [first + timedelta(hours=8 * k) for k in range(6)]
    # So the local hand-off time moves by an hour over the change.
    local_hours = {s.start.astimezone(tz).hour for s in shifts}
    assert len(local_hours) > 3


def test_a_handoff_in_the_spring_gap_happens_an_hour_later():
    """02:30 does not exist in Paris on 2026-03-29: read with the offset from before (fold=0), it is 03:30 CEST."""
    p = plan(datetime(2026, 3, 27, 2, 30, tzinfo=PARIS), unit="days")
    assert local(p.handoff(1), PARIS) == "2026-03-28 02:30 CET"
    assert local(p.handoff(2), PARIS) == "2026-03-29 03:30 CEST"
    assert p.handoff(2) == utc(2026, 3, 29, 1, 30)
    assert local(p.handoff(3), PARIS) == "2026-03-30 02:30 CEST"


def test_an_ambiguous_handoff_happens_at_its_first_occurrence():
    """02:30 happens twice in Paris on 2026-10-25; fold=0 picks the first, still on summer time."""
    p = plan(datetime(2026, 10, 23, 2, 30, tzinfo=PARIS), unit="days")
    assert p.handoff(2) == utc(2026, 10, 25, 0, 30)
    assert local(p.handoff(2), PARIS) == "2026-10-25 02:30 CEST"
    assert local(p.handoff(3), PARIS) == "2026-10-26 02:30 CET"
    assert local_to_utc(datetime(2026, 10, 25, 2, 30), PARIS) == utc(2026, 10, 25, 0, 30)


@pytest.mark.parametrize(
    "p",
    [
        plan(datetime(2026, 3, 27, 2, 30, tzinfo=PARIS), unit="days"),
        plan(datetime(2026, 10, 23, 2, 30, tzinfo=PARIS), unit="days"),
        plan(datetime(2026, 3, 6, 1, 45, tzinfo=NEW_YORK), unit="days"),
        plan(datetime(2026, 3, 28, 20, tzinfo=PARIS), unit="days", active=(time(22), time(6))),
        plan(datetime(2026, 10, 31, 20, tzinfo=NEW_YORK), unit="hours", length=5, active=(time(1), time(3))),
    ],
    ids=["paris-gap", "paris-ambiguous", "ny-gap", "paris-night-window", "ny-hourly-window"],
)
def test_who_is_on_call_agrees_with_the_shift_list_every_ten_minutes(p):
    start = p.rotation.starts_at
    end = start + timedelta(days=4)
    shifts = p.shifts(start, end)
    moment = start
    while moment < end:
        listed = next((s.user for s in shifts if s.start <= moment < s.end), None)
        assert p.user_at(moment) == listed, moment
        moment += timedelta(minutes=10)


# --- Daily windows --------------------------------------------------------------------


def test_a_business_hours_window():
    p = plan(utc(2026, 6, 1), unit="days", active=(time(9), time(17)))
    assert p.user_at(utc(2026, 6, 1, 8, 59)) is None
    assert p.user_at(utc(2026, 6, 1, 9)) == "ann"
    assert p.user_at(utc(2026, 6, 1, 16, 59, 59)) == "ann"
    assert p.user_at(utc(2026, 6, 1, 17)) is None
    assert [(s.start, s.end) for s in p.shifts(utc(2026, 6, 1), utc(2026, 6, 3))] == [
        (utc(2026, 6, 1, 9), utc(2026, 6, 1, 17)),
        (utc(2026, 6, 2, 9), utc(2026, 6, 2, 17)),
    ]


def test_a_window_that_wraps_midnight_covers_the_night():
    p = plan(utc(2026, 6, 1), unit="weeks", active=(time(22), time(6)))
    assert p.user_at(utc(2026, 5, 31, 23)) is None  # before the first hand-off
    assert p.user_at(utc(2026, 6, 1, 3)) == "ann"  # the rest of the night that opened on the 31st
    assert p.user_at(utc(2026, 6, 1, 23)) == "ann"
    assert p.user_at(utc(2026, 6, 2, 5, 59)) == "ann"
    assert p.user_at(utc(2026, 6, 2, 6)) is None
    assert p.user_at(utc(2026, 6, 2, 12)) is None
    assert [(s.start, s.end) for s in p.shifts(utc(2026, 6, 1), utc(2026, 6, 3))] == [
        (utc(2026, 6, 1), utc(2026, 6, 1, 6)),
        (utc(2026, 6, 1, 22), utc(2026, 6, 2, 6)),
        (utc(2026, 6, 2, 22), utc(2026, 6, 3)),
    ]


def test_a_night_window_over_the_spring_change_is_an_hour_shorter():
    p = plan(datetime(2026, 3, 23, 12, tzinfo=PARIS), unit="weeks", active=(time(22), time(6)))
    night = p.shifts(utc(2026, 3, 28, 12), utc(2026, 3, 29, 12))
    assert [(s.start, s.end) for s in night] == [(utc(2026, 3, 28, 21), utc(2026, 3, 29, 4))]  # 22:00 CET to 06:00 CEST


def test_a_window_open_at_one_end_runs_to_midnight():
    p = plan(utc(2026, 6, 1), unit="days", active=(time(18), None))
    assert [(s.start, s.end) for s in p.shifts(utc(2026, 6, 1), utc(2026, 6, 2, 12))] == [
        (utc(2026, 6, 1, 18), utc(2026, 6, 2)),
    ]
    assert p.user_at(utc(2026, 6, 1, 23, 59)) == "ann"
    assert p.user_at(utc(2026, 6, 2, 0)) is None


def test_a_shift_handing_off_inside_the_window_splits_it():
    p = plan(utc(2026, 6, 1, 12), unit="days", active=(time(9), time(17)))
    shifts = p.shifts(utc(2026, 6, 2), utc(2026, 6, 3))
    assert [(s.start.hour, s.end.hour, s.user) for s in shifts] == [(9, 12, "ann"), (12, 17, "bob")]
