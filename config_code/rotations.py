"""A schedule's rotations as code: its layers, listed top first, each with its people by email.

The list's order is the layers' order: the first wins where two cover the same moment, as the
dashboard's "move up" makes it (priorities n-1 ... 0, incidents.oncall.services.do_move_rotation),
so a file never carries a priority number that could contradict the order it is written in.
Rotations have no key of their own: the n-th written is the schedule's n-th layer, updated in
place through the on-call actions when it differs (its id, and with it the dashboard's links,
stays), made when there are more, deleted when there are fewer.

A start written without an offset (`2026-01-05 09:00`) is a wall-clock time in the schedule's
zone, as the dashboard's form takes it; exported starts carry the zone's offset.
"""

import re
import zoneinfo
from datetime import UTC, datetime, time
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.db.models import Model
from pydantic import BeforeValidator, Field, StringConstraints, field_validator, model_validator

from incidents.models import Rotation, Schedule
from incidents.models.oncall import WEEKDAYS, days_mask, mask_days
from incidents.oncall import services as oncall
from vigil.audit import Actor

from .definition import Definition, field_spec
from .positions import by_position

DAY_NAMES = [name.lower() for name in WEEKDAYS.values()]
CLOCK = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


def _clock(value: Any) -> Any:
    """YAML 1.1 reads an unquoted 18:00 as the number 1080 (base 60): refused, not misread."""
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError('Write a time of day in quotes ("18:00"): unquoted, YAML reads it as a number.')
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return value


Clock = Annotated[Annotated[str, StringConstraints(pattern=CLOCK.pattern)] | None, BeforeValidator(_clock)]


_NAME, _LENGTH, _UNIT = (field_spec(Rotation._meta.get_field(name)) for name in ("name", "shift_length", "shift_unit"))


class RotationDefinition(Definition):
    """One layer of a schedule: people take turns, one shift each, from `starts_at` on."""

    name: _NAME[0] = _NAME[1]
    starts_at: datetime = Field(
        description="The first hand-off. Without an offset, a time in the schedule's zone (2026-01-05 09:00)."
    )
    shift_length: _LENGTH[0] = _LENGTH[1]
    shift_unit: _UNIT[0] = _UNIT[1]
    active_from: Clock = Field(default=None, description='Daily window start in the schedule\'s zone ("09:00").')
    active_until: Clock = Field(default=None, description='Daily window end ("17:00"); may be past midnight.')
    days: list[str] = Field(
        default_factory=lambda: list(DAY_NAMES),
        min_length=1,
        description="Days of the week the daily window opens on (mon ... sun); every day by default.",
    )
    members: list[str] = Field(
        min_length=1, description="People taking turns, in hand-off order, by email (from SCIM or an import)."
    )

    @field_validator("days")
    @classmethod
    def _days(cls, value: list[str]) -> list[str]:
        unknown = [day for day in value if day.lower() not in DAY_NAMES]
        if unknown:
            raise ValueError(f"Not a day of the week: {', '.join(unknown)} (mon, tue, wed, thu, fri, sat, sun).")
        return [day for day in DAY_NAMES if day in {d.lower() for d in value}]

    @field_validator("members")
    @classmethod
    def _members(cls, value: list[str]) -> list[str]:
        emails = [email.strip().lower() for email in value]
        twice = sorted({email for email in emails if emails.count(email) > 1})
        if twice:
            raise ValueError(f"{', '.join(twice)} listed twice: each person takes one turn per round.")
        return emails

    @model_validator(mode="after")
    def _model_checks(self) -> "RotationDefinition":
        """The model's own rules (a shift at most a year, a window that is not empty), as the
        dashboard's form applies them; the zone does not matter to them."""
        starts_at = self.starts_at if self.starts_at.tzinfo else self.starts_at.replace(tzinfo=UTC)
        try:
            Rotation(**_columns(self.model_dump() | {"starts_at": starts_at})).full_clean(exclude=["schedule"])
        except ValidationError as exc:
            raise ValueError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from exc
        return self


def localize(rotations: list[RotationDefinition] | None, time_zone: str) -> None:
    """Give the starts written without an offset the schedule's zone (an unknown zone is the
    schedule's own error, reported by its model's check)."""
    try:
        zone = zoneinfo.ZoneInfo(time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return
    for rotation in rotations or []:
        if rotation.starts_at.tzinfo is None:
            rotation.starts_at = rotation.starts_at.replace(tzinfo=zone)


def _columns(data: dict) -> dict:
    """A rotation definition's values as Rotation's columns (no members)."""
    return {
        "name": data["name"],
        "starts_at": data["starts_at"],
        "shift_length": data["shift_length"],
        "shift_unit": data["shift_unit"],
        "active_from": time.fromisoformat(data["active_from"]) if data["active_from"] else None,
        "active_until": time.fromisoformat(data["active_until"]) if data["active_until"] else None,
        "days": days_mask(DAY_NAMES.index(day) + 1 for day in data["days"]),
    }


def read(schedule: Schedule, key_of) -> list[dict]:
    """SCHEDULE's layers as the file writes them (rotations and members prefetched: no query)."""
    return [
        {
            "name": rotation.name,
            "starts_at": rotation.starts_at.astimezone(schedule.tz),
            "shift_length": rotation.shift_length,
            "shift_unit": rotation.shift_unit,
            "active_from": rotation.active_from.strftime("%H:%M") if rotation.active_from else None,
            "active_until": rotation.active_until.strftime("%H:%M") if rotation.active_until else None,
            "days": [DAY_NAMES[d - 1] for d in mask_days(rotation.days)],
            "members": [member.user.email.lower() for member in rotation.members.all()],
        }
        for rotation in schedule.rotations.all()
    ]


def write(rotations: list[dict] | None, resolve) -> list[dict] | None:
    """What the on-call actions take for each layer, top first: columns (with the priority the
    position gives) and members as accounts. None (left out): the rotations are the dashboard's."""
    if rotations is None:
        return None
    return [
        _columns(rotation)
        | {"priority": len(rotations) - 1 - n, "members": [resolve("users", e) for e in rotation["members"]]}
        for n, rotation in enumerate(rotations)
    ]


def names(rotations: list | None) -> list[tuple[tuple, str, str]]:
    layers = enumerate(rotations or [])
    return [((n, "members", i), "users", email) for n, r in layers for i, email in enumerate(r.members)]


def _changes(rotation: Rotation, wanted: dict) -> dict:
    changes = {name: value for name, value in wanted.items() if name != "members" and getattr(rotation, name) != value}
    if [m.user_id for m in rotation.members.all()] != [user.pk for user in wanted["members"]]:
        changes["members"] = wanted["members"]
    return changes


def set_rotations(actor: Actor, schedule: Schedule, rotations: list[dict]) -> None:
    """Make SCHEDULE's layers ROTATIONS (top first) through the on-call actions: the n-th layer
    updated in place if it differs, the missing made, the extra deleted."""
    by_position(
        list(schedule.rotations.prefetch_related("members").order_by("-priority", "id")),
        rotations,
        changes=_changes,
        update=lambda layer, changes: oncall.do_update_rotation(actor, layer, **changes),
        create=lambda wanted: oncall.do_create_rotation(actor, schedule, **wanted),
        delete=lambda layer: oncall.do_delete_rotation(actor, layer),
    )


def create_schedule(actor: Actor, values: dict) -> Model:
    rotations = values.pop("rotations")
    schedule = oncall.do_create_schedule(actor, **values)
    if rotations is not None:
        set_rotations(actor, schedule, rotations)
    return schedule


def update_schedule(actor: Actor, schedule: Schedule, changes: dict) -> Model:
    rotations = changes.pop("rotations", None)
    if changes:
        schedule = oncall.do_update_schedule(actor, schedule, **changes)
    if rotations is not None:
        set_rotations(actor, schedule, rotations)
    return schedule
