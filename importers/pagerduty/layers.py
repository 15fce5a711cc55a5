"""A PagerDuty schedule layer as Vigil rotations (incidents.oncall.schedule), and what does not carry over.

PagerDuty's semantics (REST API v2 schedule_layers, and its help pages on schedules and restrictions):

- Turn k of a layer runs from hand-off k to hand-off k+1 and belongs to users[k mod n]; hand-off 0
  is `rotation_virtual_start`, turns are `rotation_turn_length_seconds` long, and hand-offs keep
  their wall-clock time in the schedule's zone. Vigil's rotation is the same with `starts_at` as
  hand-off 0: a turn of whole days or weeks is a day or week shift (wall clock), whole hours an
  hour shift.
- Restrictions only cut time out of a layer; they do not move hand-offs. A weekly restriction is a
  day of the week, a time of day and a length; a daily restriction is the same on all seven days.
  Each becomes Vigil windows opening on that day (`days`) as importers.restrictions splits them:
  one of 24 h or less is one window (Friday 18:00 for 12 h is Friday's 18:00-06:00); a longer one
  is split at local midnights, and windows of different hours are rotations of their own with the
  same people, start and priority, so their union is the layer, exactly. Lengths are read on the
  schedule zone's wall clock (18:00 for 12 h ends at 06:00 on a daylight-saving night too).
- Later layers win over earlier ones (priority = position); overrides win over all layers.
"""

from dataclasses import dataclass, field
from datetime import datetime, time

from incidents.models.oncall import ALL_DAYS, WEEKDAYS

from ..restrictions import DAY, HOUR, WEEK, Span, Window, settings_for, windows

MAX_TURN = 366 * DAY


class Unmappable(Exception):
    """The layer has no Vigil equivalent; the message says why."""


@dataclass
class MappedLayer:
    name: str
    user_ids: list[str]
    settings: list[dict]  # keyword arguments of do_create_rotation, one per window
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
    mapped.settings = settings_for(base, _windows(layer.get("restrictions") or []))
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


def _windows(restrictions: list[dict]) -> dict[Window, int]:
    """The windows whose union is the layer's coverage in a week, each with its days."""
    if not restrictions:
        return {None: ALL_DAYS}
    return windows(span for restriction in restrictions for span in _spans(restriction))


def _spans(restriction: dict) -> list[Span]:
    """RESTRICTION as (ISO weekday, seconds after its midnight, length) spans."""
    start = time.fromisoformat(restriction["start_time_of_day"].removesuffix("Z"))
    seconds = int(restriction["duration_seconds"])
    if seconds <= 0:
        raise Unmappable(f"a restriction of {seconds} s covers nothing")
    if restriction.get("type") == "weekly_restriction":
        first = int(restriction.get("start_day_of_week") or 0)
        if first not in WEEKDAYS:
            raise Unmappable(f"a weekly restriction starts on day {first}, not a day of the week (1-7)")
        days = [first]
    else:  # a daily restriction: the same on every day
        days = list(WEEKDAYS)
    offset = start.hour * HOUR + start.minute * 60 + start.second
    return [(day, offset, seconds) for day in days]


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
