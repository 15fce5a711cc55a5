"""Scheduled maintenance: moved along by beat, components under maintenance during the window, alerts held."""

from datetime import timedelta

import pytest
from django.test import TestCase
from django.utils import timezone

from comms.models import MaintenanceStatus, ScheduledMaintenance
from comms.status import services
from comms.status.tasks import advance_maintenances
from incidents.models import ComponentStatus, Incident
from incidents.services import do_declare, do_resolve
from monitoring.models import Monitor
from monitoring.recording import Observation, in_maintenance, record_observations
from vigil.models import AuditEntry


def schedule(actor, components, starts_in=timedelta(hours=1), lasts=timedelta(hours=2), title="Database upgrade"):
    start = timezone.now() + starts_in
    return services.do_schedule_maintenance(
        actor,
        title=title,
        message="The database moves to a bigger machine; writes pause for a minute.",
        components=components,
        starts_at=start,
        ends_at=start + lasts,
    )


def status_of(component) -> str:
    component.refresh_from_db()
    return component.status


def test_scheduling_announces_it_and_changes_no_component_yet(actor, api):
    maintenance = schedule(actor, [api])
    assert maintenance.status == MaintenanceStatus.SCHEDULED
    assert list(maintenance.updates.values_list("status", flat=True)) == ["scheduled"]
    assert status_of(api) == ComponentStatus.OPERATIONAL
    assert AuditEntry.objects.filter(action="status_maintenance.schedule").exists()


def test_beat_starts_it_at_the_window_and_completes_it_at_the_end(actor, api, website):
    maintenance = schedule(actor, [api])
    assert advance_maintenances.apply().get() == 0  # not yet
    later = maintenance.starts_at + timedelta(seconds=1)
    assert services.advance_due(now=later) == 1
    maintenance.refresh_from_db()
    assert maintenance.status == MaintenanceStatus.IN_PROGRESS
    assert maintenance.started_at == later
    assert status_of(api) == ComponentStatus.MAINTENANCE
    assert status_of(website) == ComponentStatus.OPERATIONAL
    assert services.advance_due(now=later) == 0  # safe to repeat
    assert services.advance_due(now=maintenance.ends_at) == 1
    maintenance.refresh_from_db()
    assert maintenance.status == MaintenanceStatus.COMPLETED
    assert status_of(api) == ComponentStatus.OPERATIONAL
    assert list(maintenance.updates.values_list("status", flat=True)) == ["completed", "in_progress", "scheduled"]


def test_one_scheduled_in_the_past_starts_at_once_and_one_already_over_completes(actor, api, email_component):
    running = schedule(actor, [api], starts_in=-timedelta(minutes=5))
    assert running.status == MaintenanceStatus.IN_PROGRESS
    assert status_of(api) == ComponentStatus.MAINTENANCE
    over = schedule(actor, [email_component], starts_in=-timedelta(hours=3), lasts=timedelta(hours=1))
    assert over.status == MaintenanceStatus.COMPLETED
    assert status_of(email_component) == ComponentStatus.OPERATIONAL


def test_a_component_leaves_maintenance_for_the_status_its_open_incidents_give(actor, api):
    maintenance = schedule(actor, [api], starts_in=-timedelta(minutes=1))
    do_declare(actor, title="Errors", components={api: "partial_outage"})
    assert status_of(api) == ComponentStatus.MAINTENANCE  # maintenance outranks incidents meanwhile
    services.do_move_maintenance(actor, maintenance, MaintenanceStatus.COMPLETED)
    assert status_of(api) == ComponentStatus.PARTIAL_OUTAGE


def test_overlapping_maintenances_keep_a_shared_component_until_the_last_ends(actor, api, website):
    first = schedule(actor, [api, website], starts_in=-timedelta(minutes=1), title="First")
    second = schedule(actor, [api], starts_in=-timedelta(minutes=1), title="Second")
    services.do_move_maintenance(actor, first, MaintenanceStatus.COMPLETED)
    assert status_of(api) == ComponentStatus.MAINTENANCE
    assert status_of(website) == ComponentStatus.OPERATIONAL
    services.do_move_maintenance(actor, second, MaintenanceStatus.COMPLETED)
    assert status_of(api) == ComponentStatus.OPERATIONAL


def test_verifying_keeps_the_components_under_maintenance(actor, api):
    maintenance = schedule(actor, [api], starts_in=-timedelta(minutes=1))
    services.do_move_maintenance(actor, maintenance, MaintenanceStatus.VERIFYING, "Checking the replicas.")
    assert status_of(api) == ComponentStatus.MAINTENANCE
    assert maintenance.updates.first().message == "Checking the replicas."
    services.advance_due(now=maintenance.ends_at + timedelta(seconds=1))
    maintenance.refresh_from_db()
    assert maintenance.status == MaintenanceStatus.COMPLETED
    assert status_of(api) == ComponentStatus.OPERATIONAL


@pytest.mark.parametrize(
    ("start", "target"),
    [("scheduled", "verifying"), ("scheduled", "completed"), ("completed", "in_progress"), ("scheduled", "nonsense")],
)
def test_moves_outside_the_table_are_refused(actor, api, start, target):
    maintenance = schedule(actor, [api])
    ScheduledMaintenance.objects.filter(pk=maintenance.pk).update(status=start)
    with pytest.raises(services.MaintenanceError):
        services.do_move_maintenance(actor, maintenance, target)


def test_changing_a_running_maintenances_components_moves_them_in_and_out(actor, api, website):
    maintenance = schedule(actor, [api], starts_in=-timedelta(minutes=1))
    services.do_change_maintenance(actor, maintenance, components=[website])
    assert status_of(api) == ComponentStatus.OPERATIONAL
    assert status_of(website) == ComponentStatus.MAINTENANCE


def test_rescheduling_posts_a_public_update_and_a_window_must_end_after_it_starts(actor, api):
    maintenance = schedule(actor, [api])
    later = maintenance.starts_at + timedelta(days=1)
    services.do_change_maintenance(actor, maintenance, starts_at=later, ends_at=later + timedelta(hours=1))
    assert maintenance.updates.first().message.startswith("Rescheduled: now from")
    with pytest.raises(services.MaintenanceError):
        services.do_change_maintenance(actor, maintenance, ends_at=later - timedelta(hours=1))


def test_a_completed_maintenance_cannot_be_changed(actor, api):
    maintenance = schedule(actor, [api], starts_in=-timedelta(hours=3), lasts=timedelta(hours=1))
    with pytest.raises(services.MaintenanceError):
        services.do_change_maintenance(actor, maintenance, title="Too late")


def test_withdrawing_a_running_maintenance_takes_its_components_out(actor, api):
    maintenance = schedule(actor, [api], starts_in=-timedelta(minutes=1))
    services.do_cancel_maintenance(actor, maintenance)
    assert not ScheduledMaintenance.objects.exists()
    assert status_of(api) == ComponentStatus.OPERATIONAL


# --- Monitors: no alert during the window ----------------------------------------------------------


def make_monitor(component):
    return Monitor.objects.create(
        name="API health",
        target="https://api.example/health",
        component=component,
        state=Monitor.State.UP,
        failure_threshold=2,
        recovery_threshold=1,
    )


def observe(monitor, state, times=1):
    for _ in range(times):
        now = timezone.now()
        with TestCase.captureOnCommitCallbacks(execute=True):
            record_observations([Observation(monitor.pk, state, now, reason="HTTP 503")], now=now)
    monitor.refresh_from_db()


def test_during_the_window_the_components_monitors_raise_no_alert(actor, api):
    monitor = make_monitor(api)
    schedule(actor, [api], starts_in=-timedelta(minutes=1))
    assert in_maintenance([Monitor.objects.select_related("component").get()], timezone.now()) == {monitor.pk}
    observe(monitor, "down", times=3)
    assert monitor.state == Monitor.State.MAINTENANCE
    assert not Incident.objects.exists()


def test_after_the_window_a_down_monitor_opens_an_incident_again(actor, api):
    monitor = make_monitor(api)
    maintenance = schedule(actor, [api], starts_in=-timedelta(minutes=1))
    observe(monitor, "down", times=2)
    services.do_move_maintenance(actor, maintenance, MaintenanceStatus.COMPLETED)
    observe(monitor, "down", times=2)
    assert monitor.state == Monitor.State.DOWN
    incident = Incident.objects.get()
    assert incident.affected.get().component == api
    do_resolve(actor, incident)
