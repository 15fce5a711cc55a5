"""What config manages, kind by kind, and the actions each kind is written through.

A Kind names its section of the file, its Django model, its Definition (config_code.schema), how
definition fields map to model fields (a reference field maps to the foreign key), and the apps'
own do_* actions that create, update and delete it. Adding a kind (escalation policies,
schedules...) is one more Kind in KINDS, after the kinds it references: planning, applying,
pruning, exporting and the schema follow from it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Model

from incidents import component_actions
from incidents.models import Component, ComponentGroup, Team
from incidents.oncall import services as oncall
from monitoring import services as monitoring
from monitoring.models import Monitor
from vigil.audit import Actor

from . import schema


class Unmanaged(str):
    """The current value of a reference to an object config does not manage: never equal to a key."""

    __slots__ = ()

    def __new__(cls, pk) -> "Unmanaged":
        return super().__new__(cls, f"(an object config does not manage, id {pk})")


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

    def model_values(self, definition: schema.Definition, resolve: Callable[[str, str | None], Model | None]) -> dict:
        """DEFINITION as model field -> value, references resolved to objects by RESOLVE(kind, key)."""
        data = definition.model_dump()
        return {
            model_field: resolve(self.refs[name], data[name]) if name in self.refs else data[name]
            for name, model_field in self.fields.items()
        }

    def current(self, obj: Model, key_of: dict[str, dict[int, str]]) -> dict[str, Any]:
        """OBJ as its definition's fields now (references as keys), read without a query."""
        values = {}
        for name, model_field in self.fields.items():
            if name in self.refs:
                pk = getattr(obj, obj._meta.get_field(model_field).attname)
                values[name] = None if pk is None else key_of[self.refs[name]].get(pk) or Unmanaged(pk)
            else:
                values[name] = getattr(obj, model_field)
        return values


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
        fields=_fields(["name", "description", "public", "position", "slo"], group="group", team="owner_team"),
        refs={"group": "component_groups", "team": "teams"},
        create=lambda actor, values: component_actions.do_create_component(actor, **values),
        update=lambda actor, component, changes: component_actions.do_update_component(actor, component, **changes),
        delete=component_actions.do_delete_component,
    ),
    Kind(
        name="monitors",
        model=Monitor,
        definition=schema.MonitorDefinition,
        fields=_fields(schema.MONITOR_FIELDS, team="team", component="component"),
        refs={"team": "teams", "component": "components"},
        create=lambda actor, values: monitoring.do_create_monitor(actor, **values),
        update=lambda actor, monitor, changes: monitoring.do_update_monitor(actor, monitor, **changes),
        delete=monitoring.do_delete,
    ),
]
BY_NAME = {kind.name: kind for kind in KINDS}
