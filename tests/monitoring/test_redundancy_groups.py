"""Redundancy is declared, never implied: a named group of replicas, its incident's title kept current,
and the data migration that keeps today's installs behaving as they did."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import TestCase
from django.utils import timezone

from incidents.models import Component, ComponentStatus, Incident, Status
from monitoring import redundancy, services
from monitoring.models import Monitor
from monitoring.recording import Observation, record_observations
from vigil.audit import Actor

State = Monitor.State


@pytest.fixture
def actor(admin_user):
    return Actor(user=admin_user)


@pytest.fixture
def website(db):
    return Component.objects.create(name="Website")


def make(actor, name, **settings):
    settings.setdefault("target", f"https://{name.lower().replace(' ', '-')}.example/")
    settings.setdefault("failure_threshold", 1)
    settings.setdefault("recovery_threshold", 1)
    return services.do_create_monitor(actor, name=name, **settings)


def observe(monitor, state, reason="timeout"):
    """One outcome for MONITOR, with the incident actions that run after commit run at once."""
    now = timezone.now()
    with TestCase.captureOnCommitCallbacks(execute=True):
        record_observations([Observation(monitor.pk, state, now, latency_ms=12.0, reason=reason)], now=now)
    monitor.refresh_from_db()


def test_a_new_monitor_on_a_watched_component_does_not_join_the_others_incident(actor, website):
    home = make(actor, "Home page", component=website)
    observe(home, "down", "HTTP 503")
    opened = Incident.objects.get()
    assert opened.dedup_key == f"monitor:{home.pk}" and opened.title == "Home page is down"

    # Added later on the same component, without a group: independent, not a replica.
    search = make(actor, "Search page", component=website)
    observe(search, "down", "HTTP 502")
    assert Incident.objects.open().count() == 2
    own = Incident.objects.get(dedup_key=f"monitor:{search.pk}")
    assert own.title == "Search page is down" and search.incident == own
    opened.refresh_from_db()
    assert opened.title == "Home page is down"  # nobody joined it, so nothing about it went stale
    assert not opened.events.filter(message__contains="Search page").exists()


def test_two_replicas_open_1_of_2_and_the_title_follows_the_second_down_and_a_recovery(actor, website):
    group = redundancy.do_create_redundancy_group(actor, name="API")
    east = make(actor, "API east", component=website, redundancy_group=group, severity="sev1")
    west = make(actor, "API west", component=website, redundancy_group=group, severity="sev1")

    observe(east, "down")
    incident = Incident.objects.get()
    assert incident.title == "API: redundancy lost (1 of 2 replicas down)"
    assert incident.severity == "sev4" and incident.dedup_key == f"redundancy:{group.pk}"
    website.refresh_from_db()
    assert website.status == ComponentStatus.DEGRADED

    observe(west, "down")
    incident.refresh_from_db()
    assert Incident.objects.count() == 1
    assert incident.title == "API: all 2 replicas down" and incident.severity == "sev1"
    website.refresh_from_db()
    assert website.status == ComponentStatus.MAJOR_OUTAGE

    observe(east, "up")
    incident.refresh_from_db()
    assert incident.title == "API: redundancy lost (1 of 2 replicas down)"
    assert incident.status != Status.RESOLVED
    website.refresh_from_db()
    assert website.status == ComponentStatus.DEGRADED
    assert incident.events.filter(
        message="Title: API: all 2 replicas down → API: redundancy lost (1 of 2 replicas down)"
    )

    observe(west, "up")
    incident.refresh_from_db()
    assert incident.status == Status.RESOLVED


def test_the_title_follows_membership_pauses_and_the_groups_name(actor, website):
    group = redundancy.do_create_redundancy_group(actor, name="Web")
    one, two = (make(actor, f"Web {n}", redundancy_group=group) for n in (1, 2))
    observe(one, "down")
    incident = Incident.objects.get()
    assert incident.title == "Web: redundancy lost (1 of 2 replicas down)"

    with TestCase.captureOnCommitCallbacks(execute=True):
        make(actor, "Web 3", redundancy_group=group)
    incident.refresh_from_db()
    assert incident.title == "Web: redundancy lost (1 of 3 replicas down)"

    with TestCase.captureOnCommitCallbacks(execute=True):
        services.do_pause(actor, two)
    incident.refresh_from_db()
    assert incident.title == "Web: redundancy lost (1 of 2 replicas down)"

    with TestCase.captureOnCommitCallbacks(execute=True):
        redundancy.do_rename_redundancy_group(actor, group, name="Web servers")
    incident.refresh_from_db()
    assert incident.title == "Web servers: redundancy lost (1 of 2 replicas down)"

    with TestCase.captureOnCommitCallbacks(execute=True):
        services.do_update_monitor(actor, Monitor.objects.get(name="Web 3"), redundancy_group=None)
    incident.refresh_from_db()
    assert incident.title == "Web servers: all 1 replicas down"


def test_a_group_of_one_watched_replica_is_no_redundancy(actor):
    group = redundancy.do_create_redundancy_group(actor, name="Lonely")
    only = make(actor, "Only", redundancy_group=group)
    observe(only, "down")
    assert Incident.objects.get().dedup_key == f"monitor:{only.pk}"


def test_a_group_name_is_unique_and_refused_with_a_message(actor):
    redundancy.do_create_redundancy_group(actor, name="API")
    with pytest.raises(ValidationError) as refused:
        redundancy.do_create_redundancy_group(actor, name="API")
    assert "already exists" in str(refused.value)


# --------------------------------------------------------------------------- the data migration

BEFORE = [("monitoring", "0005_monitor_rotate_ping_url_permission")]
AFTER = [("monitoring", "0007_replicas_of_shared_components")]


@pytest.fixture
def migrator(transactional_db):
    """Migrates monitoring where a test says, and every app back to its latest migration afterwards
    (reputation's come after monitoring's 0007), whatever happens."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_the_migration_makes_a_group_of_each_component_watched_by_several_monitors(migrator):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    # Every other app as it is now, monitoring as it was (and reputation, whose models monitoring held then, not yet).
    others = [node for node in executor.loader.graph.leaf_nodes() if node[0] not in ("monitoring", "reputation")]
    old = executor.loader.project_state([*others, *BEFORE]).apps
    Component, Monitor_, Incident_ = (
        old.get_model("incidents", "Component"),
        old.get_model("monitoring", "Monitor"),
        old.get_model("incidents", "Incident"),
    )
    api, search, lone = (Component.objects.create(name=name) for name in ("API", "Search", "Lone"))
    replicas = [Monitor_.objects.create(name=f"API {n}", target="https://a.example/", component=api) for n in range(3)]
    pair = [Monitor_.objects.create(name=f"Search {n}", target="https://s.example/", component=search) for n in "ab"]
    single = Monitor_.objects.create(name="Lone", target="https://l.example/", component=lone)
    free = Monitor_.objects.create(name="Free", target="https://f.example/")
    open_one = Incident_.objects.create(title="API: redundancy lost", dedup_key=f"component:{api.pk}:monitors")
    closed = Incident_.objects.create(title="old", dedup_key=f"component:{api.pk}:monitors", status="resolved")

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state([*others, *AFTER]).apps
    Group, Monitor_ = new.get_model("monitoring", "RedundancyGroup"), new.get_model("monitoring", "Monitor")
    Incident_ = new.get_model("incidents", "Incident")
    assert sorted(Group.objects.values_list("name", flat=True)) == ["API replicas", "Search replicas"]
    api_group = Group.objects.get(name="API replicas")
    assert set(Monitor_.objects.filter(redundancy_group=api_group).values_list("pk", flat=True)) == {
        m.pk for m in replicas
    }
    assert Monitor_.objects.filter(redundancy_group__name="Search replicas").count() == len(pair)
    assert Monitor_.objects.get(pk=single.pk).redundancy_group_id is None
    assert Monitor_.objects.get(pk=free.pk).redundancy_group_id is None
    # The open incident moves to the group's key, so the replicas' recovery still resolves it.
    assert Incident_.objects.get(pk=open_one.pk).dedup_key == f"redundancy:{api_group.pk}"
    assert Incident_.objects.get(pk=closed.pk).dedup_key == f"component:{api.pk}:monitors"

    # And back: the incident gets its component key again.
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    assert Incident_.objects.get(pk=open_one.pk).dedup_key == f"component:{api.pk}:monitors"
