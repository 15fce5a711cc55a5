"""An Opsgenie rotation as Vigil rotations (incidents.oncall.schedule), and what does not carry over.

Opsgenie's semantics (Schedule API, `expand=rotation`; its help on rotations and restrictions):

- Turn k of a rotation runs from hand-off k to hand-off k+1 and belongs to participants[k mod n];
  hand-off 0 is `startDate`, a turn is `length` hours, days or weeks (`type` hourly, daily,
  weekly). As importers.pagerduty.layers: days and weeks are Vigil day and week shifts (hand-offs
  at the same wall-clock time in the schedule's zone), hours are hour shifts.
- A time restriction only cuts time out of a rotation. `time-of-day` (startHour:startMin to
  endHour:endMin every day, wrapping midnight when the end comes first) is Vigil's daily window.
  `weekday-and-time-of-day` names days of the week, which Vigil's rotations do not have: each
  distinct time window becomes a rotation covering it on every day (a restriction longer than a
  day covers whole days), and the plan says so.
- Participants of type team, escalation or `none` (a turn for nobody) have no Vigil equivalent in a
  rotation: leaving them out would move every later turn to another person, so such a rotation is
  not imported.
"""

from dataclasses import dataclass, field
from datetime import datetime, time

UNITS = {"hourly": "hours", "daily": "days", "weekly": "weeks"}
DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
MAX_LENGTH = {"hours": 24 * 366, "days": 366, "weeks": 53}


class Unmappable(Exception):
    """The rotation has no Vigil equivalent; the message says why."""


@dataclass
class MappedRotation:
    name: str
    user_ids: list[str]
    settings: list[dict]  # keyword arguments of do_create_rotation, one per daily window
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
    for window in _windows(rotation.get("timeRestriction"), mapped):
        mapped.settings.append({**base, **({"active_from": window[0], "active_until": window[1]} if window else {})})
    if len(mapped.settings) > 1:
        mapped.approximations.append(
            f'rotation "{name}": its {len(mapped.settings)} daily windows become {len(mapped.settings)} Vigil layers '
            "with the same people, start and priority"
        )
    if rotation.get("endDate"):
        mapped.approximations.append(
            f'rotation "{name}": Opsgenie ends it at {parse_time(rotation["endDate"]):%Y-%m-%d %H:%M} UTC; Vigil '
            "rotations do not end: delete the layer then"
        )
    return mapped


def _at(hour, minute) -> time:
    return time(int(hour or 0) % 24, int(minute or 0))


def _windows(restriction: dict | None, mapped: MappedRotation) -> list[tuple[time, time] | None]:
    """The daily windows (None: all day) whose union is the rotation's coverage in a day."""
    if not restriction:
        return [None]
    if restriction.get("type") == "time-of-day":
        r = restriction.get("restriction") or {}
        return [_window(_at(r.get("startHour"), r.get("startMin")), _at(r.get("endHour"), r.get("endMin")))]
    if restriction.get("type") != "weekday-and-time-of-day":
        raise Unmappable(f"its time restriction of type {restriction.get('type')!r} is unknown")
    rules = restriction.get("restrictions") or []
    windows: list[tuple[time, time] | None] = []
    for r in rules:
        window = _weekday_window(r)
        if window not in windows:
            windows.append(window)
    if None in windows or not windows:
        windows = [None]
    if not _every_day(rules):
        days = ", ".join(
            f"{r.get('startDay', '?')[:3].title()} {_at(r.get('startHour'), r.get('startMin')):%H:%M} to "
            f"{r.get('endDay', '?')[:3].title()} {_at(r.get('endHour'), r.get('endMin')):%H:%M}"
            for r in rules
        )
        covers = ", ".join("all day" if w is None else f"{w[0]:%H:%M}-{w[1]:%H:%M}" for w in windows)
        mapped.approximations.append(
            f'rotation "{mapped.name}": Opsgenie limits it to {days}; Vigil rotations have no days of the week, '
            f"so it covers {covers} on every day. Check the imported schedule"
        )
    return windows


def _window(start: time, end: time) -> tuple[time, time] | None:
    return None if start == end else (start, end)  # Opsgenie reads equal ends as the whole day


def _weekday_window(r: dict) -> tuple[time, time] | None:
    start, end = _at(r.get("startHour"), r.get("startMin")), _at(r.get("endHour"), r.get("endMin"))
    span = (DAYS.index(r.get("endDay")) - DAYS.index(r.get("startDay"))) % 7 if _known_days(r) else 7
    if (span == 0 and end > start) or (span == 1 and end <= start):
        return (start, end)
    return None  # it spans whole days: their hours are all covered


def _known_days(r: dict) -> bool:
    return r.get("startDay") in DAYS and r.get("endDay") in DAYS


def _every_day(rules: list[dict]) -> bool:
    """Weekday restrictions repeating one window on all seven days are a time-of-day restriction."""
    shapes = {(_weekday_window(r), r.get("startHour"), r.get("startMin")) for r in rules}
    return len(shapes) == 1 and {r.get("startDay") for r in rules} == set(DAYS)
