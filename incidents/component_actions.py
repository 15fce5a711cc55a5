"""Components and component groups as actions, for front doors that write them in bulk
(importers, issue #17; configuration as code, issue #22) and the API's updates and deletions.
Django's admin edits them directly; these give the same rows the model's checks and an audit entry
naming the actor and the door. The status page snapshot follows saves and deletes by itself
(comms.status.triggers listens to the models)."""

from django.db import transaction
from django.db.models import Model

from vigil.audit import Actor, record

from .models import Component, ComponentGroup, Team

COMPONENT_FIELDS = {"name", "description", "group", "public", "position", "owner_team", "slo", "escalation_policy"}
GROUP_FIELDS = {"name", "description", "position"}


def _update(actor: Actor, obj: Model, allowed: set[str], action: str, changes: dict) -> Model:
    """Write CHANGES (fields in ALLOWED) to OBJ, locked, checked by the model; only what differs
    is saved and audited, so an update that changes nothing writes nothing."""
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"not editable here: {', '.join(sorted(unknown))}")
    obj = type(obj).objects.select_for_update().get(pk=obj.pk)
    changed = [name for name, value in changes.items() if getattr(obj, name) != value]
    if not changed:
        return obj
    for name in changed:
        setattr(obj, name, changes[name])
    obj.full_clean()
    obj.save(update_fields=[*changed, "updated_at"])
    record(actor, action, obj, changed=sorted(changed))
    return obj


@transaction.atomic
def do_create_component_group(actor: Actor, *, name: str, description: str = "", position: int = 0) -> ComponentGroup:
    """A new group of components; ValidationError when the name is taken or too long."""
    group = ComponentGroup(name=name, description=description, position=position)
    group.full_clean()
    group.save()
    record(actor, "component_group.create", group)
    return group


@transaction.atomic
def do_update_component_group(actor: Actor, group: ComponentGroup, **changes) -> ComponentGroup:
    return _update(actor, group, GROUP_FIELDS, "component_group.update", changes)


@transaction.atomic
def do_delete_component_group(actor: Actor, group: ComponentGroup) -> None:
    """Delete a group; its components stay, ungrouped."""
    record(actor, "component_group.delete", group, name=group.name)
    group.delete()


@transaction.atomic
def do_create_component(
    actor: Actor,
    *,
    name: str,
    group: ComponentGroup | None = None,
    description: str = "",
    public: bool = True,
    position: int = 0,
    owner_team: Team | None = None,
    **more,
) -> Component:
    """A new component, operational; ValidationError when the name is taken or too long."""
    unknown = set(more) - COMPONENT_FIELDS
    if unknown:
        raise TypeError(f"not component settings: {', '.join(sorted(unknown))}")
    component = Component(
        name=name, group=group, description=description, public=public, position=position, owner_team=owner_team, **more
    )
    component.full_clean()
    component.save()
    record(actor, "component.create", component, group=group.name if group else None)
    return component


@transaction.atomic
def do_update_component(actor: Actor, component: Component, **changes) -> Component:
    return _update(actor, component, COMPONENT_FIELDS, "component.update", changes)


@transaction.atomic
def do_delete_component(actor: Actor, component: Component) -> None:
    """Delete a component. Its monitors stay, without a component; past incidents keep their record."""
    record(actor, "component.delete", component, name=component.name)
    component.delete()
