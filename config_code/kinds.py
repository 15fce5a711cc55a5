"""What config manages, kind by kind, and the actions each kind is written through.

A Kind names its section of the file, its Django model, its Definition (config_code.schema), how
definition fields map to model fields (a reference field maps to the foreign key), and the apps'
own do_* actions that create, update and delete it. Adding a kind (escalation policies,
schedules...) is one more Kind in KINDS, after the kinds it references: planning, applying,
pruning, exporting and the schema follow from it.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet

from comms import services as comms
from comms.models import MessageTemplate, StakeholderGroup, StatusPageBranding
from comms.status import services as status
from dr_plans import services as dr
from dr_plans.models import DRPlan
from incidents import component_actions
from incidents.integrations import services as integrations
from incidents.models import Component, ComponentGroup, EscalationPolicy, Integration, Schedule, Team
from incidents.oncall import import_actions as policies
from incidents.oncall import services as oncall
from monitoring import services as monitoring
from monitoring.models import MaintenanceWindow, Monitor
from vigil.audit import Actor

from . import rotations, runbooks, schema


class Unmanaged(str):
    """The current value of a reference to an object config does not manage: never equal to a key."""

    __slots__ = ()

    def __new__(cls, pk) -> "Unmanaged":
        return super().__new__(cls, f"(an object config does not manage, id {pk})")


Resolve = Callable[[str, str | None], Model | None]  # (kind, key) -> the object; "users" by email
KeyOf = dict[str, dict[int, str]]  # kind -> object id -> key


@dataclass(frozen=True)
class Nested:
    """A field that is not a column (an escalation policy's levels): READ gives its value as the
    file writes it, WRITE what the actions take, NAMES the (kind, key) pairs it refers to, with
    their place under the field, so the plan checks them as it checks plain references."""

    read: Callable[[Model, KeyOf], Any]
    write: Callable[[Any, Resolve], Any]
    names: Callable[[Any], list[tuple[tuple, str, str]]]  # value -> [(location, kind, key)]


@dataclass(frozen=True)
class Kind:
    name: str  # the file's section
    model: type[Model]
    definition: type[schema.Definition]
    fields: dict[str, str]  # definition field -> model field
    refs: dict[str, str]  # reference field -> the kind it names
    create: Callable[[Actor, dict], Model]
    update: Callable[[Actor, Model, dict], Model]
    delete: Callable[[Actor, Model], None]
    nested: dict[str, Nested] = field(default_factory=dict)  # given to the actions by its own name
    queryset: Callable[[], QuerySet] | None = None  # with what `nested` reads prefetched
    label: Callable[[Model], str] | None = None  # what vigil_export derives a key from (else the name)
    # Fields holding a secret (an integration's token): never shown, hashed or exported (an
    # ${env:...} reference is written instead); left out of a file, the current value stays.
    secrets: tuple[str, ...] = ()
    # Other fields a file may leave out to keep what is there (the page's id, a schedule's rotations).
    kept: tuple[str, ...] = ()
    singleton: bool = False  # one object, written as a mapping (config_code.schema.SINGLETONS)

    def objects(self) -> QuerySet:
        return self.queryset() if self.queryset else self.model.objects.all()

    def argument(self, name: str) -> str:
        """The actions' keyword for definition field NAME."""
        return self.fields.get(name, name)

    def model_values(self, definition: schema.Definition, resolve: Resolve) -> dict:
        """DEFINITION as the actions' keywords, references resolved to objects by RESOLVE(kind, key)."""
        data = definition.model_dump()
        values = {
            model_field: resolve(self.refs[name], data[name]) if name in self.refs else data[name]
            for name, model_field in self.fields.items()
        }
        return values | {name: nested.write(data[name], resolve) for name, nested in self.nested.items()}

    def current(self, obj: Model, key_of: KeyOf) -> dict[str, Any]:
        """OBJ as its definition's fields now (references as keys), read without a query."""
        values = {}
        for name, model_field in self.fields.items():
            if name in self.refs:
                pk = getattr(obj, obj._meta.get_field(model_field).attname)
                values[name] = None if pk is None else key_of[self.refs[name]].get(pk) or Unmanaged(pk)
            else:
                values[name] = getattr(obj, model_field)
        return values | {name: nested.read(obj, key_of) for name, nested in self.nested.items()}


def _read_levels(policy: EscalationPolicy, key_of: KeyOf) -> list[dict]:
    return [
        {
            "timeout_minutes": level.timeout_minutes,
            "users": sorted(user.email.lower() for user in level.users.all()),
            "schedules": sorted(key_of["schedules"].get(s.pk) or Unmanaged(s.pk) for s in level.schedules.all()),
        }
        for level in policy.levels.all()
    ]


def _write_levels(levels: list[dict], resolve: Resolve) -> list[policies.Level]:
    return [
        policies.Level(
            timeout_minutes=level["timeout_minutes"],
            users=[resolve("users", email) for email in level["users"]],
            schedules=[resolve("schedules", key) for key in level["schedules"]],
        )
        for level in levels
    ]


def _level_names(levels: list) -> list[tuple[tuple, str, str]]:
    return [
        ((n, field_name, i), kind, key)
        for n, level in enumerate(levels)
        for field_name, kind in (("users", "users"), ("schedules", "schedules"))
        for i, key in enumerate(getattr(level, field_name))
    ]


ROTATIONS = Nested(read=rotations.read, write=rotations.write, names=rotations.names)
LEVELS = Nested(read=_read_levels, write=_write_levels, names=_level_names)


def _update_template(actor: Actor, template: MessageTemplate, changes: dict) -> MessageTemplate:
    """A template moved to another event or part: the old one is the built-in text again."""
    wanted = {"event": template.event, "part": template.part, "body": template.body} | changes
    if (wanted["event"], wanted["part"]) != (template.event, template.part):
        comms.do_reset_template(actor, template)
    return comms.do_set_template(actor, **wanted)


def _update_integration(actor: Actor, integration: Integration, changes: dict) -> Integration:
    if "kind" in changes:
        raise ValidationError({"kind": "An integration's kind cannot change (its senders' format): give it a new key."})
    token = changes.pop("token", None)
    if token:
        integration = integrations.do_set_token(actor, integration, token)
    return integrations.do_update_integration(actor, integration, **changes) if changes else integration


def _key_set(kind: str, related: str) -> Nested:
    """A many-to-many of objects config names by key (a monitor's parents, an integration's components)."""
    return Nested(
        read=lambda obj, key_of: sorted(key_of[kind].get(o.pk) or Unmanaged(o.pk) for o in getattr(obj, related).all()),
        write=lambda keys, resolve: [resolve(kind, key) for key in keys],
        names=lambda keys: [((n,), kind, key) for n, key in enumerate(keys)],
    )


# A monitor's locations, by name: made in the admin (each has its agent's token), never in files.
LOCATIONS = Nested(
    read=lambda monitor, key_of: sorted(location.name for location in monitor.locations.all()),
    write=lambda names, resolve: [resolve("locations", name) for name in names],
    names=lambda names: [((n,), "locations", name) for n, name in enumerate(names)],
)


def _given(values: dict, *kept: str) -> dict:
    """VALUES without the KEPT fields the file left out (None)."""
    return {name: value for name, value in values.items() if value is not None or name not in kept}


def _person(field_name: str) -> Nested:
    """One person named by email (a DR plan's owner)."""
    return Nested(
        read=runbooks.read_person(field_name),
        write=lambda email, resolve: resolve("users", email),
        names=lambda email: [((), "users", email)] if email else [],
    )


def _fields(names: list[str], **refs: str) -> dict[str, str]:
    return {name: name for name in names} | refs


KINDS: list[Kind] = [
    Kind(
        name="teams",
        model=Team,
        definition=schema.TeamDefinition,
        fields=_fields(["name"]),
        refs={},
        create=lambda actor, values: oncall.do_create_team(actor, **values),
        update=lambda actor, team, changes: oncall.do_rename_team(actor, team, **changes),
        delete=oncall.do_delete_team,
    ),
    Kind(
        name="schedules",
        model=Schedule,
        definition=schema.ScheduleDefinition,
        fields=_fields(["name", "description", "time_zone"], team="team"),
        refs={"team": "teams"},
        create=rotations.create_schedule,
        update=rotations.update_schedule,
        delete=oncall.do_delete_schedule,
        nested={"rotations": ROTATIONS},
        kept=("rotations",),
        queryset=lambda: Schedule.objects.prefetch_related("rotations__members__user"),
    ),
    Kind(
        name="escalation_policies",
        model=EscalationPolicy,
        definition=schema.EscalationPolicyDefinition,
        fields=_fields(["name", "description", "repeat"], team="team"),
        refs={"team": "teams"},
        create=lambda actor, values: policies.do_create_escalation_policy(actor, **values),
        update=lambda actor, policy, changes: policies.do_update_escalation_policy(actor, policy, **changes),
        delete=policies.do_delete_escalation_policy,
        nested={"levels": LEVELS},
        queryset=lambda: EscalationPolicy.objects.prefetch_related("levels__users", "levels__schedules"),
    ),
    Kind(
        name="component_groups",
        model=ComponentGroup,
        definition=schema.ComponentGroupDefinition,
        fields=_fields(["name", "description", "position"]),
        refs={},
        create=lambda actor, values: component_actions.do_create_component_group(actor, **values),
        update=lambda actor, group, changes: component_actions.do_update_component_group(actor, group, **changes),
        delete=component_actions.do_delete_component_group,
    ),
    Kind(
        name="components",
        model=Component,
        definition=schema.ComponentDefinition,
        fields=_fields(
            ["name", "description", "public", "position", "slo"],
            group="group",
            team="owner_team",
            escalation_policy="escalation_policy",
        ),
        refs={"group": "component_groups", "team": "teams", "escalation_policy": "escalation_policies"},
        create=lambda actor, values: component_actions.do_create_component(actor, **values),
        update=lambda actor, component, changes: component_actions.do_update_component(actor, component, **changes),
        delete=component_actions.do_delete_component,
    ),
    Kind(
        name="monitors",
        model=Monitor,
        definition=schema.MonitorDefinition,
        fields=_fields(
            schema.MONITOR_FIELDS, team="team", component="component", escalation_policy="escalation_policy"
        ),
        refs={"team": "teams", "component": "components", "escalation_policy": "escalation_policies"},
        create=lambda actor, values: monitoring.do_create_monitor(actor, **values),
        update=lambda actor, monitor, changes: monitoring.do_update_monitor(actor, monitor, **changes),
        delete=monitoring.do_delete,
        nested={"parents": _key_set("monitors", "parents"), "locations": LOCATIONS},
        queryset=lambda: Monitor.objects.prefetch_related("parents", "locations"),
    ),
    Kind(
        name="maintenance_windows",
        model=MaintenanceWindow,
        definition=schema.MaintenanceWindowDefinition,
        fields=_fields(["starts_at", "ends_at", "reason", "monitor", "component"]),
        refs={"monitor": "monitors", "component": "components"},
        create=lambda actor, values: monitoring.do_add_maintenance(actor, **values),
        update=lambda actor, window, changes: monitoring.do_change_maintenance(actor, window, **changes),
        delete=monitoring.do_delete_maintenance,
        queryset=lambda: MaintenanceWindow.objects.select_related("monitor", "component"),
        label=lambda window: f"{window.reason or window.monitor or window.component} {window.starts_at:%Y-%m-%d}",
    ),
    Kind(
        name="stakeholder_groups",
        model=StakeholderGroup,
        definition=schema.StakeholderGroupDefinition,
        fields=_fields(["name", "description"], team="team"),
        refs={"team": "teams"},
        create=lambda actor, values: comms.do_create_stakeholder_group(actor, **values),
        update=lambda actor, group, changes: comms.do_update_stakeholder_group(actor, group, **changes),
        delete=comms.do_delete_stakeholder_group,
    ),
    Kind(
        name="notification_templates",
        model=MessageTemplate,
        definition=schema.NotificationTemplateDefinition,
        fields=_fields(["event", "part", "body"]),
        refs={},
        create=lambda actor, values: comms.do_set_template(actor, **values),
        update=_update_template,
        delete=comms.do_reset_template,
        label=lambda template: f"{template.event}-{template.part}",
    ),
    Kind(
        name="integrations",
        model=Integration,
        definition=schema.IntegrationDefinition,
        fields=_fields(
            ["name", "kind", "enabled", "severity", "auto_resolve", "token"],
            team="team",
            escalation_policy="escalation_policy",
        ),
        refs={"team": "teams", "escalation_policy": "escalation_policies"},
        create=lambda actor, values: integrations.do_create_integration(actor, **values),
        update=_update_integration,
        delete=integrations.do_delete_integration,
        nested={"components": _key_set("components", "components")},
        queryset=lambda: Integration.objects.prefetch_related("components"),
        secrets=("token",),
    ),
    Kind(
        name="status_page",
        model=StatusPageBranding,
        definition=schema.StatusPageDefinition,
        fields=_fields(["name", "logo_url", "accent_colour", "footer_links", "support_contact", "page_id"]),
        refs={},
        create=lambda actor, values: status.do_save_branding(actor, **_given(values, "page_id")),
        update=lambda actor, branding, changes: status.do_save_branding(actor, **changes),
        delete=lambda actor, branding: None,  # never: a singleton left out of the files is let go
        kept=("page_id",),
        singleton=True,
    ),
    Kind(
        name="dr_plans",
        model=DRPlan,
        definition=runbooks.DRPlanDefinition,
        fields=_fields(runbooks.PLAN_FIELDS, team="team"),
        refs={"team": "teams"},
        create=runbooks.create_plan,
        update=runbooks.update_plan,
        delete=runbooks.retire_plan,
        nested={
            "owner": _person("owner"),
            "approver": _person("approver"),
            "components": _key_set("components", "components"),
            "steps": Nested(read=runbooks.read_steps, write=runbooks.write_steps, names=lambda steps: []),
        },
        queryset=lambda: DRPlan.objects.select_related("owner", "approver").prefetch_related("components", "steps"),
        kept=("steps",),
    ),
]
BY_NAME = {kind.name: kind for kind in KINDS}
# What an action refuses in the present state (a schedule a policy still pages): reported, not raised.
ACTION_ERRORS = (oncall.ActionError, monitoring.ActionError, comms.ActionError, dr.ActionError)
