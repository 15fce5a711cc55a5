"""The update and delete actions for components, groups and teams (front doors that reconcile,
such as config apply, write through these)."""

import pytest
from django.core.exceptions import ValidationError

from incidents.component_actions import (
    do_create_component,
    do_create_component_group,
    do_delete_component_group,
    do_update_component,
)
from incidents.models import Component, Team
from incidents.oncall.services import do_create_team, do_delete_team, do_rename_team
from monitoring.services import do_create_monitor
from vigil.audit import Actor
from vigil.models import AuditEntry

ME = Actor(via="test")


def test_an_update_writes_and_audits_only_what_changed(db):
    component = do_create_component(ME, name="API")
    do_update_component(ME, component, name="API", public=True)
    assert not AuditEntry.objects.filter(action="component.update").exists()
    do_update_component(ME, component, name="Public API", public=False)
    assert AuditEntry.objects.get(action="component.update").details == {"changed": ["name", "public"]}
    with pytest.raises(ValidationError):
        do_update_component(ME, component, slo=101)
    with pytest.raises(TypeError, match="status"):
        do_update_component(ME, component, status="major_outage")  # the incidents set it, not an edit


def test_a_deleted_group_leaves_its_components_ungrouped(db):
    group = do_create_component_group(ME, name="Shop")
    do_create_component(ME, name="API", group=group)
    do_delete_component_group(ME, group)
    assert Component.objects.get().group is None


def test_a_renamed_team_keeps_what_it_owns_and_a_deleted_one_leaves_it_unowned(db):
    team = do_create_team(ME, name="Payments")
    do_create_team(ME, name="Search")
    monitor = do_create_monitor(ME, name="Ping", target="https://x.example", team=team)
    do_rename_team(ME, team, name="Billing")
    assert monitor.__class__.objects.get().team.name == "Billing"
    with pytest.raises(ValidationError):
        do_rename_team(ME, team, name="Search")
    do_delete_team(ME, team)
    assert monitor.__class__.objects.get().team is None and Team.objects.count() == 1
    assert AuditEntry.objects.filter(action__in=["team.rename", "team.delete"]).count() == 2
