"""An Opsgenie rotation as Vigil rotations (incidents.oncall.schedule), and what does not carry over.

Opsgenie's semantics (Schedule API, `expand=rotation`; its help on rotations and restrictions):

- Turn k of a rotation runs from hand-off k to hand-off k+1 and belongs to participants[k mod n];
  hand-off 0 is `startDate`, a turn is `length` hours, days or weeks (`type` hourly, daily,
  weekly). As importers.pagerduty.layers: days and weeks are Vigil day and week shifts (hand-offs
  at the same wall-clock time in the schedule's zone), hours are hour shifts.
- A time restriction only cuts time out of a rotation. `time-of-day` (startHour:startMin to
  endHour:endMin every day, wrapping midnight when the end comes first) is Vigil's daily window.
  Each `weekday-and-time-of-day` restriction covers startDay startHour:startMin to endDay
  endHour:endMin (several days, wrapping the week when endDay comes first): it is split into
  windows and their days exactly as PagerDuty's weekly restrictions (importers.restrictions), so
  Mon-Fri 09:00-17:00 is one rotation on Mon-Fri and Fri 18:00 to Mon 06:00 is Friday's evening,
  whole Saturday and Sunday and Monday's morning, each with the same people, start and priority.
- Participants of type team, escalation or `none` (a turn for nobody) have no Vigil equivalent in a
  rotation: leaving them out would move every later turn to another person, so such a rotation is
  not imported.
"""

from dataclasses import dataclass, field
from datetime import datetime, time

from incidents.models.oncall import ALL_DAYS

from ..restrictions import DAY, HOUR, WEEK, Span, Window, settings_for, windows

UNITS = {"hourly": "hours", "daily": "days", "weekly": "weeks"}
DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
MAX_LENGTH = {"hours": 24 * 366, "days": 366, "weeks": 53}


class Unmappable(Exception):
    """The rotation has no Vigil equivalent; the message says why."""


@dataclass
class MappedRotation:
    name: str
    user_ids: list[str]
    settings: list[dict]  # keyword arguments of do_create_rotation, one per window
    approximations: list[str] = field(default_factory=list)


def parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"{text} has no UTC offset")
    return moment


def map_rotation(rotation: dict, priority: int) -> MappedRotation:
    name = (rotation.get("name") or f"Rotation {priority + 1}")[:100]
    participants = rotation.get("participants") or []
    others = sorted({p.get("type") or "?" for p in participants if p.get("type") != "user"})
    if others:
        raise Unmappable(f"it has participants of type {', '.join(others)}; Vigil rotations take turns between people")
    if not participants:
        raise Unmappable("it has no participants")
    unit, length = UNITS.get(rotation.get("type") or ""), int(rotation.get("length") or 1)
    if unit is None:
        raise Unmappable(f"its type {rotation.get('type')!r} is not hourly, daily or weekly")
    if not 1 <= length <= MAX_LENGTH[unit]:
        raise Unmappable(f"a turn of {length} {unit} is outside Vigil's 1 hour to 1 year")
    mapped = MappedRotation(name=name, user_ids=[p["id"] for p in participants], settings=[])
    base = {"name": name, "starts_at": parse_time(rotation["startDate"]), "priority": priority,
            "shift_length": length, "shift_unit": unit}  # fmt: skip
    mapped.settings = settings_for(base, _windows(rotation.get("timeRestriction")))
    if rotation.get("endDate"):
        mapped.approximations.append(
            f'rotation "{name}": Opsgenie ends it at {parse_time(rotation["endDate"]):%Y-%m-%d %H:%M} UTC; Vigil '
            "rotations do not end: delete the layer then"
        )
    return mapped


def _at(hour, minute) -> time:
    return time(int(hour or 0) % 24, int(minute or 0))


def _windows(restriction: dict | None) -> dict[Window, int]:
    """The windows (None: all day) whose union is the rotation's coverage in a week, with their days."""
    if not restriction:
        return {None: ALL_DAYS}
    if restriction.get("type") == "time-of-day":
        r = restriction.get("restriction") or {}
        start, end = _at(r.get("startHour"), r.get("startMin")), _at(r.get("endHour"), r.get("endMin"))
        return {None if start == end else (start, end): ALL_DAYS}  # Opsgenie reads equal ends as the whole day
    if restriction.get("type") != "weekday-and-time-of-day":
        raise Unmappable(f"its time restriction of type {restriction.get('type')!r} is unknown")
    rules = restriction.get("restrictions") or []
    if not rules:
        return {None: ALL_DAYS}
    return windows(_span(r) for r in rules)


def _span(r: dict) -> Span:
    """A weekday restriction as (ISO weekday, seconds after its midnight, length): from startDay
    startHour:startMin to endDay endHour:endMin, wrapping the week when the end comes first (the
    same day and time at both ends is the whole week)."""
    if r.get("startDay") not in DAYS or r.get("endDay") not in DAYS:
        raise Unmappable(f"a restriction from {r.get('startDay')!r} to {r.get('endDay')!r} names no day of the week")
    start, end = _at(r.get("startHour"), r.get("startMin")), _at(r.get("endHour"), r.get("endMin"))
    offset, closing = start.hour * HOUR + start.minute * 60, end.hour * HOUR + end.minute * 60
    first, last = DAYS.index(r["startDay"]), DAYS.index(r["endDay"])
    seconds = ((last - first) % 7) * DAY + closing - offset
    return first + 1, offset, seconds if seconds > 0 else seconds + WEEK
