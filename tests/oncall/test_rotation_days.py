"""Rotations limited to days of the week: the day is the local date the window opens on, read on the
schedule's clock across daylight-saving changes, and hand-offs go on through the days left out.

Pure computation on unsaved rows: no database.
"""

import itertools
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from incidents.models import Rotation
from incidents.models.oncall import ALL_DAYS, days_mask, mask_days
from incidents.oncall.schedule import RotationPlan

PARIS = ZoneInfo("Europe/Paris")
MEMBERS = ("ann", "bob", "cat")
MON_FRI = days_mask([1, 2, 3, 4, 5])


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def plan(starts_at, *, days=ALL_DAYS, active=(None, None), length=1, unit="days") -> RotationPlan:
    rotation = Rotation(
        pk=1, starts_at=starts_at, shift_length=length, shift_unit=unit,
        active_from=active[0], active_until=active[1], days=days,
    )  # fmt: skip
    return RotationPlan(rotation, list(MEMBERS), PARIS)


def hours(start: datetime, days: int) -> list[datetime]:
    return [start.astimezone(UTC) + timedelta(hours=h) for h in range(days * 24)]


def agrees(p: RotationPlan, start: datetime, days: int) -> bool:
    """shifts() and user_at() give the same answer at every hour (the timeline and the pager agree)."""
    moments = hours(start, days)
    shifts = p.shifts(moments[0], moments[-1] + timedelta(hours=1))
    return all([s.user for s in shifts if s.covers(m)] == ([p.user_at(m)] if p.user_at(m) else []) for m in moments)


def test_days_are_stored_as_bits_and_read_monday_first():
    assert days_mask([5, 1, 3]) == 0b10101 and mask_days(0b10101) == [1, 3, 5]
    assert mask_days(ALL_DAYS) == [1, 2, 3, 4, 5, 6, 7]
    assert Rotation(days=MON_FRI).days_label == "Mon-Fri"
    assert Rotation(days=days_mask([1, 3, 6])).days_label == "Mon, Wed, Sat"
    assert Rotation().days_label == "every day"


def test_a_rotation_without_days_is_refused():
    rotation = Rotation(starts_at=paris(2026, 6, 1, 9), days=0)
    with pytest.raises(ValidationError) as caught:
        rotation.clean()
    assert "days" in caught.value.message_dict


def test_office_hours_on_weekdays_leave_the_weekend_to_nobody():
    p = plan(paris(2026, 6, 1, 9), days=MON_FRI, active=(time(9), time(17)))  # Mon Jun 1
    assert p.user_at(paris(2026, 6, 5, 10)) == "bob"  # Friday, turn 4
    assert p.user_at(paris(2026, 6, 5, 17)) is None  # Friday after 17:00
    assert p.user_at(paris(2026, 6, 6, 10)) is None  # Saturday
    assert p.user_at(paris(2026, 6, 7, 10)) is None  # Sunday
    assert p.user_at(paris(2026, 6, 8, 10)) == "bob"  # Monday: turn 7, hand-offs went on over the weekend
    assert agrees(p, paris(2026, 6, 1), 14)


def test_whole_days_without_a_window():
    p = plan(paris(2026, 6, 1, 0), days=days_mask([6, 7]), length=1, unit="weeks")
    assert p.user_at(paris(2026, 6, 5, 23, 59)) is None  # Friday
    assert p.user_at(paris(2026, 6, 6, 0)) == "ann"  # Saturday from local midnight
    assert p.user_at(paris(2026, 6, 7, 23, 59)) == "ann"
    assert p.user_at(paris(2026, 6, 8, 0)) is None  # Monday
    assert p.user_at(paris(2026, 6, 13, 12)) == "bob"
    assert agrees(p, paris(2026, 6, 1), 21)


def test_a_window_past_midnight_belongs_to_the_day_it_opens():
    """Friday 18:00-06:00 covers Friday night into Saturday morning, not the small hours of Friday."""
    p = plan(paris(2026, 6, 1, 18), days=days_mask([5]), active=(time(18), time(6)))
    assert p.user_at(paris(2026, 6, 5, 3)) is None  # Friday 03:00: Thursday's window, not opened
    assert p.user_at(paris(2026, 6, 5, 17, 59)) is None
    assert p.user_at(paris(2026, 6, 5, 18)) == "bob"  # Friday 18:00, turn 4 (days from Mon Jun 1 18:00)
    assert p.user_at(paris(2026, 6, 6, 5, 59)) == "bob"  # Saturday 05:59, still Friday's window and turn
    assert p.user_at(paris(2026, 6, 6, 6)) is None
    assert p.user_at(paris(2026, 6, 6, 20)) is None  # Saturday evening: not a Friday
    shifts = p.shifts(paris(2026, 6, 1), paris(2026, 6, 8))
    windows = [(s.start.astimezone(PARIS), s.end.astimezone(PARIS)) for s in shifts]
    assert windows == [(paris(2026, 6, 5, 18), paris(2026, 6, 6, 6))]
    assert agrees(p, paris(2026, 6, 1), 14)


@pytest.mark.parametrize(
    ("first", "night", "length"),
    [
        (paris(2026, 3, 2, 9), (2026, 3, 28), 7),  # spring forward in the night of Sat 28 to Sun 29 March
        (paris(2026, 10, 5, 9), (2026, 10, 24), 9),  # fall back in the night of Sat 24 to Sun 25 October
    ],
)
def test_a_saturday_night_window_keeps_its_local_times_across_a_change(first, night, length):
    p = plan(first, days=days_mask([6]), active=(time(22), time(6)), unit="weeks")
    [shift] = p.shifts(paris(*night), paris(*night) + timedelta(days=2))
    start, end = shift.start.astimezone(PARIS), shift.end.astimezone(PARIS)
    assert (start.time(), end.time()) == (time(22), time(6))
    assert start.date() == paris(*night).date() and end.date() == paris(*night).date() + timedelta(days=1)
    assert shift.duration == timedelta(hours=length)  # an hour shorter, or longer, as the clock says
    assert agrees(p, first, 60)


def test_weekdays_across_the_spring_change_cover_the_same_local_hours():
    p = plan(paris(2026, 3, 23, 9), days=MON_FRI, active=(time(9), time(17)))
    local = [
        (s.start.astimezone(PARIS).strftime("%a %H:%M"), s.end.astimezone(PARIS).strftime("%H:%M"))
        for s in p.shifts(paris(2026, 3, 23), paris(2026, 4, 6))
    ]
    weekdays = ["Mon", "Tue", "Wed", "Thu", "Fri"]
    assert local == [(f"{d} 09:00", "17:00") for d in itertools.chain(weekdays, weekdays)]
    assert agrees(p, paris(2026, 3, 23), 14)
