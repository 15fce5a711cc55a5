"""The file format: one pydantic model per kind, built from the Django model's own fields.

A definition's types, choices, defaults, bounds and help texts are read from the Django field
(`from_model`), so the file, its JSON Schema (docs/config.schema.json, /api/v1/config/schema.json)
and the dashboard cannot disagree, and no rule is written twice. What the model checks beyond its
fields (Monitor.clean: a target each kind can probe, a valid cron) runs at plan time, through the
model's full_clean (config_code.plan). Unknown fields are errors (extra="forbid"), so a typo never
passes silently. Another object is named by its key (`team: payments`), never by name or id.
"""

import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, create_model, field_validator, model_validator

from comms.models import MessageTemplate, StakeholderGroup, StatusPageBranding
from incidents.models import Component, ComponentGroup, EscalationLevel, EscalationPolicy, Integration, Schedule, Team
from monitoring.models import MaintenanceWindow, Monitor

from . import rotations, runbooks
from .definition import Definition, Key, KeySet, from_model, reference

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "docs" / "config.schema.json"


TeamDefinition = from_model("Team", Team, ["name"])


class _ScheduleChecks(Definition):
    @model_validator(mode="after")
    def _localize(self):
        rotations.localize(self.rotations, self.time_zone)
        return self


ScheduleDefinition = from_model(
    "Schedule",
    Schedule,
    ["name", "description", "time_zone"],
    base=_ScheduleChecks,
    team=reference("teams", "The team that owns the schedule"),
    rotations=(
        list[rotations.RotationDefinition] | None,
        Field(
            default=None,
            description="Its layers, top first: the first wins where two cover a moment. Left out, the "
            "schedule's rotations are left as they are (edited in the dashboard).",
        ),
    ),
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
    "grace_seconds", "cron", "cron_timezone", "confirm_locations", "confirm_window_seconds", "steps",
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
    locations=(
        KeySet,
        Field(
            default_factory=list,
            description='Names of the locations it is checked from ("central" and probe agents\' locations, '
            "made in the admin); none: every location.",
        ),
    ),
)

MaintenanceWindowDefinition = from_model(
    "MaintenanceWindow",
    MaintenanceWindow,
    ["starts_at", "ends_at", "reason"],
    monitor=reference("monitors", "The monitor checked without alerting"),
    component=reference("components", "Or every monitor of this component"),
)
StakeholderGroupDefinition = from_model(
    "StakeholderGroup",
    StakeholderGroup,
    ["name", "description"],
    team=reference("teams", "The team that owns the group (its members come from an import, SCIM or the dashboard)"),
)


class _TemplateText(Definition):
    @field_validator("body", check_fields=False)
    @classmethod
    def _stored(cls, body: str) -> str:
        """As comms stores it (a YAML block's last newline is no change)."""
        return body.replace("\r\n", "\n").strip()


NotificationTemplateDefinition = from_model(
    "NotificationTemplate", MessageTemplate, ["event", "part", "body"], base=_TemplateText
)
IntegrationDefinition = from_model(
    "Integration",
    Integration,
    ["name", "kind", "enabled", "severity", "auto_resolve"],
    team=reference("teams", "The team that owns the integration"),
    escalation_policy=reference("escalation_policies", "Paged for the incidents its alerts open"),
    components=(KeySet, Field(default_factory=list, description="Components (keys) its incidents affect.")),
    token=(
        Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{16,64}$")] | None,
        Field(
            default=None,
            description="The secret of the sender's URL (or its key), always as ${env:NAME}, never in the file. "
            "Left out, Vigil makes one and keeps it.",
        ),
    ),
)
StatusPageDefinition = from_model(
    "StatusPage",
    StatusPageBranding,
    ["name", "logo_url", "accent_colour", "footer_links", "support_contact"],
    keyed=False,
    page_id=(
        str | None,
        Field(
            default=None, max_length=32, description="The page's id in the Statuspage-compatible JSON; left out, kept."
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
    "maintenance_windows": MaintenanceWindowDefinition,
    "stakeholder_groups": StakeholderGroupDefinition,
    "notification_templates": NotificationTemplateDefinition,
    "integrations": IntegrationDefinition,
    "status_page": StatusPageDefinition,
    "dr_plans": runbooks.DRPlanDefinition,
}
SINGLETONS = {"status_page"}  # one mapping, not a list: the kind has one object
VERSION = (Literal[1], Field(default=1, description="The format's version."))


def _file_model(name: str, item: Any, doc: str) -> type[Definition]:
    sections = {
        section: (item or model) | None if section in SINGLETONS else list[item or model]
        for section, model in SECTIONS.items()
    }
    sections = {
        section: (kind, Field(default=None) if section in SINGLETONS else Field(default_factory=list))
        for section, kind in sections.items()
    }
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
