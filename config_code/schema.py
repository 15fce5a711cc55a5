"""The file format: one pydantic model per kind, built from the Django model's own fields.

A definition's types, choices, defaults, bounds and help texts are read from the Django field
(`from_model`), so the file, its JSON Schema (docs/config.schema.json, /api/v1/config/schema.json)
and the dashboard cannot disagree, and no rule is written twice. What the model checks beyond its
fields (Monitor.clean: a target each kind can probe, a valid cron) runs at plan time, through the
model's full_clean (config_code.plan). Unknown fields are errors (extra="forbid"), so a typo never
passes silently. Another object is named by its key (`team: payments`), never by name or id.
"""

import json
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, create_model, field_validator

from incidents.models import Component, ComponentGroup, EscalationLevel, EscalationPolicy, Schedule, Team
from monitoring.models import Monitor

KEY_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"
Key = Annotated[str, StringConstraints(pattern=KEY_PATTERN, max_length=100)]
# Keys of a set of objects (a monitor's parents): the order written is not a change.
KeySet = Annotated[list[Key], AfterValidator(lambda keys: sorted(set(keys)))]
KEY_HELP = "A stable id chosen by the author (lowercase letters, digits, - and _): renaming keeps the object."
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "docs" / "config.schema.json"


class Definition(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _python_type(field: models.Field) -> Any:
    if field.choices:
        return Literal[tuple(value for value, _ in field.choices)]
    if isinstance(field, models.BooleanField):
        return bool
    if isinstance(field, models.IntegerField):
        return int
    if isinstance(field, models.FloatField):
        return float
    if isinstance(field, models.DecimalField):
        return Decimal
    if isinstance(field, models.JSONField):
        # A list field (a browser monitor's steps) holds objects, checked by the model on apply.
        return list[dict[str, Any]] if field.default is list else dict[str, str]
    return str


def _bounds(field: models.Field) -> dict:
    """The bounds the field declares. Not `field.validators`: that adds the database's integer
    range, which differs between SQLite and PostgreSQL, and the schema must not."""
    bounds: dict[str, Any] = {}
    for validator in field._validators:
        if isinstance(validator, MinValueValidator):
            bounds["ge"] = validator.limit_value
        elif isinstance(validator, MaxValueValidator):
            bounds["le"] = validator.limit_value
    if field.max_length and not field.choices:
        bounds["max_length"] = field.max_length
    if isinstance(field, models.PositiveIntegerField | models.PositiveSmallIntegerField):
        bounds.setdefault("ge", 0)
    return bounds


def field_spec(field: models.Field) -> tuple[Any, Any]:
    """(type, pydantic Field) for one Django field: its default, bounds and help text."""
    kind = _python_type(field)
    if field.null:
        kind = kind | None
    info: dict[str, Any] = {"description": str(field.help_text) or None, **_bounds(field)}
    if field.has_default():
        default = field.default
        if isinstance(default, models.Choices):
            default = default.value  # the plain value, as the file writes it
        info["default_factory" if callable(default) else "default"] = default
    elif field.null:
        info["default"] = None
    elif field.blank and isinstance(field, models.CharField | models.TextField):
        info["default"] = ""
    return kind, Field(**info)


def reference(kind: str, description: str) -> tuple[Any, Any]:
    return Key | None, Field(default=None, description=f"{description} (the key of one of `{kind}`).")


def from_model(name: str, model: type[models.Model], fields: list[str], **extra) -> type[Definition]:
    """A Definition with `key`, FIELDS as the Django MODEL declares them, and EXTRA (references)."""
    specs = {field: field_spec(model._meta.get_field(field)) for field in fields}
    return create_model(
        name,
        __base__=Definition,
        __doc__=model.__doc__ if model.__doc__ and not model.__doc__.startswith(model.__name__ + "(") else None,
        key=(Key, Field(description=KEY_HELP)),
        **specs,
        **extra,
    )


TeamDefinition = from_model("Team", Team, ["name"])
# A schedule's own settings; its rotations are still edited in the dashboard (a later slice).
ScheduleDefinition = from_model(
    "Schedule",
    Schedule,
    ["name", "description", "time_zone"],
    team=reference("teams", "The team that owns the schedule"),
)


class LevelDefinition(Definition):
    """One level of an escalation policy: who is paged, and how long before the next level."""

    timeout_minutes: Annotated[int, Field(ge=1)] = Field(
        default=EscalationLevel._meta.get_field("timeout_minutes").default,
        description="Minutes before the next level is paged if nobody acknowledges.",
    )
    users: list[str] = Field(
        default_factory=list, description="People paged, by email (they come from SCIM or an import)."
    )
    schedules: list[Key] = Field(default_factory=list, description="Whoever is on call on these `schedules` (keys).")

    # A level pages a set of people and schedules: the order written is not a change.
    @field_validator("users")
    @classmethod
    def _emails(cls, value: list[str]) -> list[str]:
        return sorted({email.strip().lower() for email in value})

    @field_validator("schedules")
    @classmethod
    def _keys(cls, value: list[str]) -> list[str]:
        return sorted(set(value))


EscalationPolicyDefinition = from_model(
    "EscalationPolicy",
    EscalationPolicy,
    ["name", "description", "repeat"],
    team=reference("teams", "The team that owns the policy"),
    levels=(list[LevelDefinition], Field(min_length=1, description="Paged in order, the first at once.")),
)
ComponentGroupDefinition = from_model("ComponentGroup", ComponentGroup, ["name", "description", "position"])
ComponentDefinition = from_model(
    "Component",
    Component,
    ["name", "description", "public", "position", "slo"],
    group=reference("component_groups", "The group the component is shown in"),
    team=reference("teams", "The team that owns the component"),
    escalation_policy=reference("escalation_policies", "Paged for an incident naming the component"),
)
# Every setting a person edits (monitoring.services.SETTINGS_FIELDS) except redundancy groups and
# parents (later).
MONITOR_FIELDS = [
    "name", "kind", "target", "interval_seconds", "retry_interval_seconds", "failure_threshold",
    "recovery_threshold", "timeout_seconds", "severity", "method", "headers", "body", "expected_status",
    "keyword", "keyword_absent", "degraded_after_ms", "follow_redirects", "verify_tls", "port", "warn_days",
    "fail_days", "check_hostname", "record_type", "expected_value", "resolver", "period_seconds",
    "grace_seconds", "cron", "cron_timezone", "steps",
]  # fmt: skip
MonitorDefinition = from_model(
    "Monitor",
    Monitor,
    MONITOR_FIELDS,
    team=reference("teams", "The team that owns the monitor"),
    component=reference("components", "The component whose status the monitor drives"),
    escalation_policy=reference("escalation_policies", "Paged when the monitor opens an incident"),
    parents=(
        KeySet,
        Field(
            default_factory=list,
            description="Monitors (keys) this one depends on: while a parent is down, this one's failures "
            "join the parent's incident. A monitor cannot depend on itself, directly or not.",
        ),
    ),
)


# The file's sections, in the order objects are made (each after the kinds it names).
SECTIONS: dict[str, type[Definition]] = {
    "teams": TeamDefinition,
    "schedules": ScheduleDefinition,
    "escalation_policies": EscalationPolicyDefinition,
    "component_groups": ComponentGroupDefinition,
    "components": ComponentDefinition,
    "monitors": MonitorDefinition,
}
VERSION = (Literal[1], Field(default=1, description="The format's version."))


def _file_model(name: str, item: Any, doc: str) -> type[Definition]:
    sections = {section: (list[item or model], Field(default_factory=list)) for section, model in SECTIONS.items()}
    return create_model(name, __base__=Definition, __doc__=doc, version=VERSION, **sections)


ConfigFile = _file_model(
    "ConfigFile", None, "One configuration file. Several files are read as one: each key once across all of them."
)
# The outline alone (known sections, each a list), so each object can then be checked on its own.
Layout = _file_model("Layout", Any, "")


def json_schema() -> dict:
    schema = ConfigFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Vigil configuration"
    return schema


def json_schema_text() -> str:
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"
