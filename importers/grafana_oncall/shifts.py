"""A Grafana OnCall on-call shift as a Vigil rotation (incidents.oncall.schedule), or why it cannot be one.

OnCall's semantics (public API on_call_shifts; its help on web schedules): a shift is an event of
`duration` seconds from `start` (local time in the shift's `time_zone`, UTC when none), repeated
every `interval` hours, days or weeks (`frequency`). A `rolling_users` shift hands each repetition
to the next group of `rolling_users`, from `start_rotation_from_user_index`; a `recurrent_event`
gives every repetition to the same `users`. A higher `level` wins where shifts overlap.

What maps: one person a group, hourly/daily/weekly repetitions with no month limits, and either
a duration filling the whole repetition (a plain Vigil rotation), a daily shift shorter than a
day (a rotation of days with a daily window), or a weekly shift shorter than its week: its event
at the start's time on each day of `by_day` (MO..SU; none: the start's day) is split into windows
and days exactly as PagerDuty's weekly restrictions (importers.restrictions), turns of weeks
handing off at `start` as OnCall's. On a daily shift `by_day` maps too, but OnCall counts turns on
those days only, which is said. Everything else is refused with why.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from incidents.models.oncall import days_mask

from ..restrictions import DAY, HOUR, WEEK, Span, settings_for, windows

UNITS = {"hourly": ("hours", 3600), "daily": ("days", 86400), "weekly": ("weeks", 7 * 86400)}
ISO = {"MO": 1, "TU": 2, "WE": 3, "TH": 4, "FR": 5, "SA": 6, "SU": 7}
ALL_DAYS = set(ISO)


class Unmappable(Exception):
    """The shift has no Vigil equivalent; the message says why."""


@dataclass
class MappedShift:
    name: str
    user_ids: list[str]
    settings: list[dict]  # keyword arguments of do_create_rotation, one per window
    approximations: list[str] = field(default_factory=list)


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise Unmappable(f"its time zone {name!r} is unknown") from None


def start_of(shift: dict, default_zone: str | None = None) -> datetime:
    """The shift's `start` (naive, in its own zone) as an aware UTC datetime."""
    naive = datetime.fromisoformat(shift["start"].replace("Z", ""))
    return naive.replace(tzinfo=zone(shift.get("time_zone") or default_zone), fold=0).astimezone(UTC)


def map_shift(shift: dict, schedule_zone: str) -> MappedShift:
    name = (shift.get("name") or shift["id"])[:100]
    user_ids = _people(shift)
    unit, seconds = _unit(shift)
    interval = int(shift.get("interval") or 1)
    duration = int(shift.get("duration") or 0)
    starts_at = start_of(shift)
    settings = {"name": name, "starts_at": starts_at, "priority": int(shift.get("level") or 0),
                "shift_length": interval, "shift_unit": unit}  # fmt: skip
    mapped = MappedShift(name, user_ids, [settings])
    if shift.get("until"):
        mapped.approximations.append(f'shift "{name}": OnCall ends it on {shift["until"]}; Vigil rotations do not end: '
                                     "delete the layer then")  # fmt: skip
    by_day = set(shift.get("by_day") or [])
    if by_day - ALL_DAYS:
        raise Unmappable(f"its by_day {sorted(by_day - ALL_DAYS)} names no day of the week")
    days = by_day or ALL_DAYS
    if duration >= interval * seconds and days == ALL_DAYS:
        return mapped
    local = starts_at.astimezone(ZoneInfo(schedule_zone))
    if unit == "weeks" and interval == 1:
        mapped.settings = settings_for(settings, windows(_weekly_spans(local, duration, by_day)))
        if by_day and shift.get("week_start") and ISO.get(shift["week_start"]) != local.isoweekday():
            mapped.approximations.append(
                f'shift "{name}": OnCall groups a week\'s events from {shift["week_start"]}; Vigil hands the '
                f"week over at its start, a {local:%a} {local:%H:%M}"
            )
    elif unit == "days" and interval == 1 and duration < 86400:
        window = {"active_from": local.time(), "active_until": (local + timedelta(seconds=duration)).time()}
        mapped.settings = [dict(settings, **window, days=days_mask(ISO[d] for d in days))]
        if days != ALL_DAYS:
            mapped.approximations.append(
                f'shift "{name}": OnCall limits it to {", ".join(d for d in ISO if d in days)} and counts its '
                "turns on those days only; Vigil counts a turn on every day, so they fall to other people"
            )
    else:
        raise Unmappable(f"an event of {duration} s every {interval} {unit} leaves gaps Vigil's rotations cannot")
    if (shift.get("time_zone") or "UTC") != schedule_zone:
        mapped.approximations.append(
            f'shift "{name}": its window is read in the schedule\'s zone ({schedule_zone}); it is set in '
            f"{shift.get('time_zone') or 'UTC'}, so it moves by an hour where their daylight-saving dates differ"
        )
    return mapped


def _weekly_spans(local: datetime, duration: int, by_day: set[str]) -> list[Span]:
    """A weekly shift's events as spans: one at the start's time on each day of BY_DAY (else on the
    start's day), each DURATION long; one running past the next week's hand-off is not a turn's."""
    offset = local.hour * HOUR + local.minute * 60 + local.second
    spans = []
    for day in sorted(ISO[d] for d in by_day) or [local.isoweekday()]:
        if (day - local.isoweekday()) % 7 * DAY + duration > WEEK:
            raise Unmappable(f"its {duration} s event on day {day} runs into the next turn, which Vigil gives "
                             "to the next person")  # fmt: skip
        spans.append((day, offset, duration))
    return spans


def _people(shift: dict) -> list[str]:
    if shift.get("type") == "rolling_users":
        groups = [list(group) for group in shift.get("rolling_users") or [] if group]
        if any(len(group) > 1 for group in groups):
            raise Unmappable("a turn goes to several people at once; a Vigil turn is one person's")
        people = [group[0] for group in groups]
        first = int(shift.get("start_rotation_from_user_index") or 0) % max(len(people), 1)
        people = people[first:] + people[:first]
    elif shift.get("type") == "recurrent_event":
        people = list(shift.get("users") or [])
        if len(people) > 1:
            raise Unmappable("several people are on call at once on it; a Vigil turn is one person's")
    else:
        raise Unmappable(f"a shift of type {shift.get('type')!r} is not a rotation")
    if not people:
        raise Unmappable("it has no people")
    if shift.get("by_month") or shift.get("by_monthday"):
        raise Unmappable("it is limited to some months or days of the month; Vigil rotations are not")
    return people


def _unit(shift: dict) -> tuple[str, int]:
    if shift.get("frequency") not in UNITS:
        raise Unmappable(f"it repeats {shift.get('frequency')!r}; Vigil rotations take hours, days or weeks")
    return UNITS[shift["frequency"]]
