"""A PagerDuty schedule layer as Vigil rotations (incidents.oncall.schedule), and what does not carry over.

PagerDuty's semantics (REST API v2 schedule_layers, and its help pages on schedules and restrictions):

- Turn k of a layer runs from hand-off k to hand-off k+1 and belongs to users[k mod n]; hand-off 0
  is `rotation_virtual_start`, turns are `rotation_turn_length_seconds` long, and hand-offs keep
  their wall-clock time in the schedule's zone. Vigil's rotation is the same with `starts_at` as
  hand-off 0: a turn of whole days or weeks is a day or week shift (wall clock), whole hours an
  hour shift.
- Restrictions only cut time out of a layer; they do not move hand-offs. A daily restriction is a
  time of day and a length: Vigil's daily window (`active_from`-`active_until`). Several daily
  restrictions are several windows: one Vigil rotation each, same people, start and priority, so
  their union is the layer. A weekly restriction names days of the week, which Vigil's rotations
  do not have: the layer is imported covering those hours on every day, and the plan says so.
- Later layers win over earlier ones (priority = position); overrides win over all layers.
"""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

HOUR, DAY, WEEK = 3600, 86400, 7 * 86400
DAY_NAMES = ["", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
MAX_TURN = 366 * DAY


class Unmappable(Exception):
    """The layer has no Vigil equivalent; the message says why."""


@dataclass
class MappedLayer:
    name: str
    user_ids: list[str]
    settings: list[dict]  # keyword arguments of do_create_rotation, one per daily window
    approximations: list[str] = field(default_factory=list)


def parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"{text} has no UTC offset")
    return moment


def is_over(layer: dict, now: datetime) -> bool:
    """An edited PagerDuty layer is kept with an `end` in the past: history, nothing to import."""
    return bool(layer.get("end")) and parse_time(layer["end"]) <= now


def map_layer(layer: dict, priority: int, now: datetime) -> MappedLayer:
    name = (layer.get("name") or f"Layer {priority + 1}")[:100]
    user_ids = [entry["user"]["id"] for entry in layer.get("users") or []]
    if not user_ids:
        raise Unmappable("it has no users")
    mapped = MappedLayer(name=name, user_ids=user_ids, settings=[])
    base = {"name": name, "starts_at": parse_time(layer["rotation_virtual_start"]), "priority": priority}
    base.update(_turn(int(layer["rotation_turn_length_seconds"])))
    for window in _windows(layer.get("restrictions") or [], mapped):
        settings = dict(base)
        if window is not None:
            settings.update(active_from=window[0], active_until=window[1])
        mapped.settings.append(settings)
    if len(mapped.settings) > 1:
        mapped.approximations.append(
            f'layer "{name}": its {len(mapped.settings)} daily windows become {len(mapped.settings)} Vigil layers '
            "with the same people, start and priority (exact, only shown as several rows)"
        )
    _start_and_end(layer, name, base["starts_at"], now, mapped)
    return mapped


def _turn(seconds: int) -> dict:
    if seconds <= 0 or seconds > MAX_TURN:
        raise Unmappable(f"a turn of {seconds} s is outside Vigil's 1 hour to 1 year")
    if seconds % WEEK == 0:
        return {"shift_length": seconds // WEEK, "shift_unit": "weeks"}
    if seconds % DAY == 0:
        return {"shift_length": seconds // DAY, "shift_unit": "days"}
    if seconds % HOUR == 0:
        return {"shift_length": seconds // HOUR, "shift_unit": "hours"}
    raise Unmappable(f"a turn of {seconds} s is not a whole number of hours, and Vigil's shifts are")


def _windows(restrictions: list[dict], mapped: MappedLayer) -> list[tuple[time, time] | None]:
    """The daily windows (None: all day) whose union is the layer's coverage in a day."""
    if not restrictions:
        return [None]
    weekly = [r for r in restrictions if r.get("type") == "weekly_restriction"]
    windows: list[tuple[time, time] | None] = []
    for restriction in restrictions:
        window = _daily_window(restriction)
        if window not in windows:
            windows.append(window)
    if None in windows:  # one restriction covers whole days: every hour of a day is covered
        windows = [None]
    if weekly and not _every_day(weekly):
        days = ", ".join(_describe_weekly(r) for r in weekly)
        mapped.approximations.append(
            f'layer "{mapped.name}": PagerDuty limits it to {days}; Vigil rotations have no days of the week, '
            f"so it covers {', '.join(_describe_window(w) for w in windows)} on every day. "
            "Check the imported schedule: another layer or overrides may have to cover the other days"
        )
    return windows


def _daily_window(restriction: dict) -> tuple[time, time] | None:
    start = time.fromisoformat(restriction["start_time_of_day"].removesuffix("Z"))
    seconds = int(restriction["duration_seconds"])
    if seconds >= DAY:
        return None
    end = (datetime.combine(datetime(2000, 1, 1), start) + timedelta(seconds=seconds)).time()
    return (start, end)


def _every_day(weekly: list[dict]) -> bool:
    """Weekly restrictions that repeat one window on all seven days are a daily restriction."""
    shapes = {(r["start_time_of_day"], int(r["duration_seconds"])) for r in weekly}
    days = {int(r.get("start_day_of_week") or 0) for r in weekly}
    return len(shapes) == 1 and days == set(range(1, 8))


def _describe_weekly(restriction: dict) -> str:
    day = DAY_NAMES[int(restriction.get("start_day_of_week") or 0) % 8]
    hours = int(restriction["duration_seconds"]) / HOUR
    return f"{day} {restriction['start_time_of_day'][:5]} for {hours:g} h"


def _describe_window(window: tuple[time, time] | None) -> str:
    return "all day" if window is None else f"{window[0]:%H:%M}-{window[1]:%H:%M}"


def _start_and_end(layer: dict, name: str, virtual_start: datetime, now: datetime, mapped: MappedLayer) -> None:
    start = parse_time(layer["start"]) if layer.get("start") else virtual_start
    if start > now and start > virtual_start:
        mapped.approximations.append(
            f'layer "{name}": PagerDuty starts it at {start:%Y-%m-%d %H:%M} UTC; Vigil covers from its first '
            f"hand-off, {virtual_start:%Y-%m-%d %H:%M} UTC"
        )
    if layer.get("end"):
        mapped.approximations.append(
            f'layer "{name}": PagerDuty ends it at {parse_time(layer["end"]):%Y-%m-%d %H:%M} UTC; Vigil rotations '
            "do not end: delete the layer then"
        )
