"""Creating components and component groups as actions, for front doors that make them in bulk
(importers, issue #17). The admin and the API's ModelViewSet edit them directly; these give the
same rows the model's checks and an audit entry naming the actor and the door."""

from django.db import transaction

from vigil.audit import Actor, record

from .models import Component, ComponentGroup


@transaction.atomic
def do_create_component_group(actor: Actor, *, name: str, description: str = "", position: int = 0) -> ComponentGroup:
    """A new group of components; ValidationError when the name is taken or too long."""
    group = ComponentGroup(name=name, description=description, position=position)
    group.full_clean()
    group.save()
    record(actor, "component_group.create", group)
    return group


@transaction.atomic
def do_create_component(
    actor: Actor,
    *,
    name: str,
    group: ComponentGroup | None = None,
    description: str = "",
    public: bool = True,
    position: int = 0,
) -> Component:
    """A new component, operational; ValidationError when the name is taken or too long."""
    component = Component(name=name, group=group, description=description, public=public, position=position)
    component.full_clean()
    component.save()
    record(actor, "component.create", component, group=group.name if group else None)
    return component
