"""From a monitor's confirmed down to an incident, and back: dependencies, redundancy, maintenance."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import TestCase
from django.utils import timezone

from incidents.models import Alert, Component, ComponentStatus, Incident, Integration, Source, Status
from monitoring import alerting
from monitoring.models import CheckResult, MaintenanceWindow, Monitor, RedundancyGroup, StateChange
from monitoring.recording import Observation, record_observations
from tests.conftest import need

State = Monitor.State


@pytest.fixture
def component(db):
    return Component.objects.create(name="Checkout")


def make_monitor(name="Checkout page", component=None, **fields):
    fields.setdefault("target", f"https://{name.lower().replace(' ', '-')}.example/")
    fields.setdefault("state", State.UP)
    fields.setdefault("failure_threshold", 2)
    fields.setdefault("recovery_threshold", 1)
    return Monitor.objects.create(name=name, component=component, **fields)


def observe(monitor, state, reason="", times=1):
    """Record TIMES outcomes for MONITOR, running on-commit work (incident actions) at once."""
    made = []
    for _ in range(times):
        now = timezone.now()
        with TestCase.captureOnCommitCallbacks(execute=True):
            made += record_observations([Observation(monitor.pk, state, now, latency_ms=12.0, reason=reason)], now=now)
    monitor.refresh_from_db()
    return made


def test_a_confirmed_down_opens_one_incident_naming_monitor_reason_and_component(component):
    monitor = make_monitor(component=component)
    observe(monitor, "down", "connection refused")
    assert not Incident.objects.exists()  # one failure is not confirmed
    assert monitor.state == State.UP and monitor.next_check_at <= timezone.now() + timedelta(seconds=5)
    observe(monitor, "down", "connection refused")
    incident = Incident.objects.get()
    assert monitor.state == State.DOWN and monitor.incident == incident
    assert incident.source == Source.MONITOR and incident.dedup_key == f"monitor:{monitor.pk}"
    assert "Checkout page" in incident.title and "connection refused" in incident.summary
    assert incident.affected.get().component == component
    component.refresh_from_db()
    assert component.status == ComponentStatus.MAJOR_OUTAGE
    # Staying down adds no second incident.
    observe(monitor, "down", "connection refused", times=3)
    assert Incident.objects.count() == 1
    assert CheckResult.objects.filter(monitor=monitor).count() == 5
    assert list(StateChange.objects.filter(monitor=monitor).values_list("to_state", flat=True)) == ["down"]


def test_recovery_adds_a_timeline_entry_and_resolves_the_incident_it_opened(component):
    monitor = make_monitor(component=component)
    observe(monitor, "down", "HTTP 503", times=2)
    observe(monitor, "up")
    incident = Incident.objects.get()
    assert incident.status == Status.RESOLVED
    assert incident.events.filter(message__contains="recovered after").exists()
    component.refresh_from_db()
    assert component.status == ComponentStatus.OPERATIONAL
    monitor.refresh_from_db()
    assert monitor.incident is None


def test_a_firing_alert_holds_the_incident_open(component):
    monitor = make_monitor(component=component)
    observe(monitor, "down", "HTTP 503", times=2)
    incident = Incident.objects.get()
    integration = Integration.objects.create(name="am", kind="alertmanager")
    Alert.objects.create(integration=integration, fingerprint="f1", title="x", incident=incident)
    observe(monitor, "up")
    incident.refresh_from_db()
    assert incident.status != Status.RESOLVED
    assert incident.events.filter(message__contains="recovered").exists()


def test_a_child_of_a_down_parent_joins_its_incident_instead_of_opening_one(db):
    database = make_monitor("Database", failure_threshold=1)
    api = make_monitor("API", failure_threshold=1)
    api.parents.add(database)
    observe(database, "down", "connection refused")
    observe(api, "down", "HTTP 502")
    incident = Incident.objects.get()
    api.refresh_from_db()
    assert api.incident == incident
    assert incident.events.filter(message__contains="API is down too").exists()
    # The child recovering does not resolve the parent's incident; the parent's recovery does.
    observe(api, "up")
    incident.refresh_from_db()
    assert incident.status != Status.RESOLVED
    observe(database, "up")
    incident.refresh_from_db()
    assert incident.status == Status.RESOLVED


def test_a_parent_going_down_after_its_child_merges_the_childs_incident(db):
    database = make_monitor("Database", failure_threshold=1)
    api = make_monitor("API", failure_threshold=1)
    api.parents.add(database)
    observe(api, "down", "HTTP 502")
    observe(database, "down", "connection refused")
    parent_incident = Incident.objects.get(dedup_key=f"monitor:{database.pk}")
    child_incident = Incident.objects.get(dedup_key=f"monitor:{api.pk}")
    assert child_incident.status == Status.RESOLVED and child_incident.merged_into == parent_incident
    api.refresh_from_db()
    assert api.incident == parent_incident
    assert Incident.objects.open().count() == 1


def test_parent_and_child_down_in_one_batch_open_one_incident(db):
    database = make_monitor("Database", failure_threshold=1)
    api = make_monitor("API", failure_threshold=1)
    api.parents.add(database)
    now = timezone.now()
    # The child comes first in the batch; the parent still acts first.
    with TestCase.captureOnCommitCallbacks(execute=True):
        record_observations([Observation(api.pk, "down", now, reason="502"), Observation(database.pk, "down", now)])
    assert Incident.objects.open().count() == 1
    assert Incident.objects.open().get().dedup_key == f"monitor:{database.pk}"


def test_redundancy_lost_is_low_severity_and_all_down_is_a_major_outage(component):
    # Replicas are declared (a group), as the data migration declares them for monitors that shared a component.
    group = RedundancyGroup.objects.create(name="Checkout replicas")
    replica = {"component": component, "failure_threshold": 1, "severity": "sev1", "redundancy_group": group}
    east = make_monitor("Checkout east", **replica)
    west = make_monitor("Checkout west", **replica)
    observe(east, "down", "timeout")
    incident = Incident.objects.get()
    assert incident.severity == "sev4" and "redundancy lost (1 of 2" in incident.title
    component.refresh_from_db()
    assert component.status == ComponentStatus.DEGRADED
    observe(west, "down", "timeout")
    incident.refresh_from_db()
    assert Incident.objects.count() == 1
    assert incident.severity == "sev1"
    component.refresh_from_db()
    assert component.status == ComponentStatus.MAJOR_OUTAGE
    observe(east, "up")
    component.refresh_from_db()
    incident.refresh_from_db()
    assert incident.status != Status.RESOLVED and component.status == ComponentStatus.DEGRADED
    observe(west, "up")
    incident.refresh_from_db()
    assert incident.status == Status.RESOLVED


def test_a_maintenance_window_suppresses_the_incident(component):
    monitor = make_monitor(component=component)
    now = timezone.now()
    MaintenanceWindow.objects.create(
        component=component, starts_at=now - timedelta(minutes=1), ends_at=now + timedelta(hours=1)
    )
    observe(monitor, "down", "HTTP 503", times=3)
    assert monitor.state == State.MAINTENANCE
    assert not Incident.objects.exists()
    assert CheckResult.objects.filter(monitor=monitor, outcome=CheckResult.Outcome.DOWN).count() == 3


def test_a_component_under_maintenance_suppresses_too(component):
    component.status = ComponentStatus.MAINTENANCE
    component.save()
    monitor = make_monitor(component=component, failure_threshold=1)
    observe(monitor, "down", "HTTP 503")
    assert monitor.state == State.MAINTENANCE and not Incident.objects.exists()


def test_outcomes_for_a_paused_monitor_are_dropped(db):
    monitor = make_monitor(state=State.PAUSED)
    assert observe(monitor, "down", times=3) == []
    assert monitor.state == State.PAUSED and not CheckResult.objects.exists()


@pytest.fixture
def postgres():
    need("PostgreSQL", connection.vendor == "postgresql", "this race is tested on PostgreSQL (set DATABASE_URL)")


def _at_once(target, count):
    barrier = threading.Barrier(count)
    errors = []

    def run():
        try:
            barrier.wait(timeout=10)
            target()
        except Exception as exc:  # a thread's failure must fail the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors


@pytest.mark.django_db(transaction=True)
def test_two_probe_workers_racing_on_one_monitor_open_one_incident(postgres):
    monitor = make_monitor(failure_threshold=1)
    _at_once(lambda: record_observations([Observation(monitor.pk, "down", timezone.now(), reason="refused")]), 4)
    assert Incident.objects.count() == 1
    assert StateChange.objects.filter(to_state=State.DOWN).count() == 1


@pytest.mark.django_db(transaction=True)
def test_racing_incident_openings_for_one_monitor_keep_one_open_incident(postgres):
    monitor = make_monitor(failure_threshold=1, state=State.DOWN)
    _at_once(lambda: alerting.went_down(Monitor.objects.get(pk=monitor.pk), "refused"), 4)
    assert Incident.objects.open().count() == 1
