"""Upgrading to teams as the unit of ownership (issue #20) takes nobody's permission away.

The database goes back to before the team fields, is filled as an install then had it (people,
and monitors, integrations, schedules, policies, components, DR plans and stakeholder groups with
no team), and migrates forward: everything belongs to the default team, everyone is in it, and a
responder may still do what they did. On SQLite or PostgreSQL (DATABASE_URL).
"""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from incidents.models import Component, Team
from monitoring.models import Monitor
from vigil import ownership
from vigil.default_team import DEFAULT_TEAM_NAME

BEFORE = [
    ("incidents", "0008_change_event_received_at_index"),
    ("monitoring", "0008_reputation_moved_out"),
    ("dr_plans", "0003_review_requests"),
    ("comms", "0015_subscriber_apprise"),
]


@pytest.fixture
def migrator(transactional_db):
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    ContentType.objects.clear_cache()


def _back_to_before_teams():
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    # Everything that depends on those migrations has to go back first; the executor works that out.
    executor.migrate(BEFORE)
    return executor.loader.project_state(BEFORE).apps


def _forward():
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_an_upgrade_gives_everything_the_default_team_with_everyone_in_it(migrator, django_user_model):
    old = _back_to_before_teams()
    User = old.get_model("auth", "User")
    rita = User.objects.create(username="rita", email="rita@example.com")
    sam = User.objects.create(username="sam", email="sam@example.com")
    old.get_model("incidents", "Team").objects.create(name="Platform")
    old.get_model("incidents", "Component").objects.create(name="API")
    old.get_model("incidents", "Schedule").objects.create(name="Primary", ical_token="t1")
    old.get_model("incidents", "EscalationPolicy").objects.create(name="Default")
    old.get_model("incidents", "Integration").objects.create(name="Grafana", kind="grafana", token="tok-1")
    old.get_model("monitoring", "Monitor").objects.create(name="Home", kind="heartbeat")
    old.get_model("dr_plans", "DRPlan").objects.create(name="DB lost", rto_minutes=60, rpo_minutes=5)
    old.get_model("comms", "StakeholderGroup").objects.create(name="Leadership")

    _forward()

    everyone = Team.objects.get(name=DEFAULT_TEAM_NAME)
    assert set(everyone.members.values_list("username", flat=True)) == {"rita", "sam"}
    from comms.models import StakeholderGroup
    from dr_plans.models import DRPlan
    from incidents.models import EscalationPolicy, Integration, Schedule

    for model, field in [
        (Component, "owner_team"),
        (Schedule, "team"),
        (EscalationPolicy, "team"),
        (Integration, "team"),
        (Monitor, "team"),
        (DRPlan, "team"),
        (StakeholderGroup, "team"),
    ]:
        assert list(model.objects.values_list(f"{field}__name", flat=True)) == [DEFAULT_TEAM_NAME], model
    # The team an admin had made before is left as it was, members and all.
    assert not Team.objects.get(name="Platform").members.exists()
    # Rita may change the monitor as before: it is her team's now.
    user = django_user_model.objects.get(pk=rita.pk)
    assert ownership.may_change(user, Monitor.objects.get(), "monitoring.change_monitor")
    assert sam.pk in everyone.members.values_list("pk", flat=True)


def test_a_fresh_install_has_no_default_team(db):
    assert not Team.objects.filter(name=DEFAULT_TEAM_NAME).exists()
