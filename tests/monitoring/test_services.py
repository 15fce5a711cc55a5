"""The monitor actions (monitoring.services): validation, scheduling, state, audit; and the shared reads."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from incidents.models import Component
from monitoring import heartbeat_schedule, redundancy, services
from monitoring.models import CheckResult, MaintenanceWindow, Monitor, RedundancyGroup, StateChange
from vigil.audit import Actor
from vigil.models import AuditEntry
from vigil_probes import State as ProbeState

from .servers import closed_port

State = Monitor.State


@pytest.fixture
def actor(admin_user):
    return Actor(user=admin_user, via="web")


def http_monitor(actor, name="Home", **settings):
    return services.do_create_monitor(actor, name=name, target="https://example.com/", **settings)


def test_creating_a_probe_monitor_schedules_its_first_check_now_and_is_audited(actor):
    before = timezone.now()
    monitor = http_monitor(actor, interval_seconds=30)
    assert monitor.state == State.PENDING
    assert before <= monitor.next_check_at <= timezone.now()
    entry = AuditEntry.objects.get(action="monitor.create")
    assert (entry.target_id, entry.actor_label) == (str(monitor.pk), actor.label)


def test_a_heartbeat_waits_for_its_first_deadline(actor):
    monitor = services.do_create_monitor(
        actor, name="Backup", kind=Monitor.Kind.HEARTBEAT, period_seconds=3600, grace_seconds=600
    )
    assert monitor.next_check_at == heartbeat_schedule.next_deadline(monitor, timezone.now())
    assert monitor.next_check_at - monitor.created_at == timedelta(seconds=4200)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"kind": "http", "target": "ftp://example.com/"}, "target"),
        ({"kind": "http", "target": "https://example.com/", "expected_status": "nope"}, "expected_status"),
        ({"kind": "http", "target": "https://example.com/", "method": "HEAD", "keyword": "x"}, "keyword"),
        ({"kind": "tcp", "target": "db.internal"}, "port"),
        ({"kind": "tls", "target": "example.com", "warn_days": 3, "fail_days": 7}, "warn_days"),
        ({"kind": "dns", "target": "example.com", "resolver": "not an ip"}, "resolver"),
        ({"kind": "dns", "target": ""}, "target"),
        ({"kind": "heartbeat", "cron": "every day"}, "cron"),
        ({"kind": "heartbeat", "cron": "0 3 * * *", "cron_timezone": "Mars/Olympus"}, "cron_timezone"),
        ({"kind": "http", "target": "https://example.com/", "interval_seconds": 5}, "interval_seconds"),
    ],
)
def test_bad_settings_are_refused_naming_the_field(actor, values, field):
    with pytest.raises(ValidationError) as refused:
        services.do_create_monitor(actor, name="Bad", **values)
    assert field in refused.value.message_dict
    assert not Monitor.objects.exists()


def test_unknown_settings_are_a_programming_error(actor):
    with pytest.raises(TypeError, match="state"):
        services.do_create_monitor(actor, name="Sneaky", target="https://example.com/", state="up")


def test_an_edit_writes_only_settings_so_a_result_recorded_meanwhile_survives(actor):
    monitor = http_monitor(actor)
    stale = Monitor.objects.get(pk=monitor.pk)
    # A probe batch records a confirmed down after the form was loaded.
    Monitor.objects.filter(pk=monitor.pk).update(state=State.DOWN, consecutive_failures=3, state_reason="HTTP 503")
    saved = services.do_update_monitor(actor, stale, name="Home page", timeout_seconds=5.0)
    saved.refresh_from_db()
    assert (saved.name, saved.timeout_seconds) == ("Home page", 5.0)
    assert (saved.state, saved.consecutive_failures, saved.state_reason) == (State.DOWN, 3, "HTTP 503")
    assert AuditEntry.objects.get(action="monitor.update").details["changed"] == ["name", "timeout_seconds"]


def test_an_edit_checks_again_soon_and_an_unchanged_save_does_nothing(actor):
    monitor = http_monitor(actor)
    later = timezone.now() + timedelta(hours=1)
    Monitor.objects.filter(pk=monitor.pk).update(next_check_at=later)
    services.do_update_monitor(actor, monitor, name=monitor.name, target=monitor.target)
    monitor.refresh_from_db()
    assert monitor.next_check_at == later
    assert not AuditEntry.objects.filter(action="monitor.update").exists()
    services.do_update_monitor(actor, monitor, target="https://example.com/health")
    monitor.refresh_from_db()
    assert monitor.next_check_at <= timezone.now()


def test_an_edit_refused_by_the_model_changes_nothing(actor):
    monitor = http_monitor(actor)
    with pytest.raises(ValidationError) as refused:
        services.do_update_monitor(actor, monitor, target="not a url")
    assert "target" in refused.value.message_dict
    monitor.refresh_from_db()
    assert monitor.target == "https://example.com/"


def test_dependencies_cannot_loop(actor):
    database = http_monitor(actor, "Database")
    api = http_monitor(actor, "API", parents=[database])
    site = http_monitor(actor, "Site", parents=[api])
    assert list(site.parents.all()) == [api]
    with pytest.raises(ValidationError) as refused:
        services.do_update_monitor(actor, database, parents=[site])
    assert "parents" in refused.value.message_dict
    with pytest.raises(ValidationError):
        services.do_update_monitor(actor, database, parents=[database])
    assert not database.parents.exists()
    services.do_update_monitor(actor, site, parents=[database, api])
    assert set(site.parents.all()) == {database, api}


def test_pause_stops_checks_and_writes_the_state_history(actor):
    monitor = http_monitor(actor)
    Monitor.objects.filter(pk=monitor.pk).update(state=State.UP)
    paused = services.do_pause(actor, monitor)
    paused.refresh_from_db()
    assert (paused.state, paused.next_check_at) == (State.PAUSED, None)
    change = StateChange.objects.get(monitor=monitor)
    assert (change.from_state, change.to_state, change.reason) == (State.UP, State.PAUSED, "paused by alice-admin")
    assert AuditEntry.objects.get(action="monitor.pause").details == {"previous": "up"}
    with pytest.raises(services.ActionError, match="paused already"):
        services.do_pause(actor, monitor)


def test_resume_starts_from_a_clean_slate(actor):
    monitor = http_monitor(actor)
    Monitor.objects.filter(pk=monitor.pk).update(
        consecutive_failures=4, consecutive_successes=0, recent_outcomes="uxuxuxuxux", flapping=True
    )
    with pytest.raises(services.ActionError, match="not paused"):
        services.do_resume(actor, monitor)
    services.do_pause(actor, monitor)
    before = timezone.now()
    resumed = services.do_resume(actor, monitor)
    resumed.refresh_from_db()
    assert resumed.state == State.PENDING
    assert (resumed.consecutive_failures, resumed.recent_outcomes, resumed.flapping) == (0, "", False)
    assert before <= resumed.next_check_at <= timezone.now()
    assert list(monitor.state_changes.values_list("to_state", flat=True)) == [State.PENDING, State.PAUSED]


def test_a_resumed_heartbeat_gets_a_fresh_deadline(actor):
    monitor = services.do_create_monitor(actor, name="Backup", kind="heartbeat", period_seconds=600, grace_seconds=60)
    services.do_pause(actor, monitor)
    resumed = services.do_resume(actor, monitor)
    assert resumed.next_check_at == resumed.state_changed_at + timedelta(seconds=660)


def test_a_monitor_can_be_paused_whatever_its_state_but_resumed_only_when_paused(actor):
    monitor = http_monitor(actor)
    for state in (State.DOWN, State.MAINTENANCE, State.PENDING):
        Monitor.objects.filter(pk=monitor.pk).update(state=state)
        services.do_pause(actor, monitor)
        services.do_resume(actor, monitor)
    assert StateChange.objects.filter(monitor=monitor).count() == 6


def test_test_now_probes_once_and_records_nothing(actor, servers):
    monitor = services.do_create_monitor(actor, name="Local", target=servers.url("/ok"), keyword="systems OK")
    result = services.do_test_now(actor, monitor)
    assert (result.state, result.status_code, result.reason) == (ProbeState.UP, 200, "")
    monitor.refresh_from_db()
    assert monitor.state == State.PENDING and monitor.last_checked_at is None
    assert not CheckResult.objects.exists()
    assert AuditEntry.objects.get(action="monitor.test").details["state"] == "up"


def test_test_now_reports_a_failure_with_its_reason(actor):
    monitor = services.do_create_monitor(
        actor, name="Closed", kind="tcp", target="127.0.0.1", port=closed_port(), timeout_seconds=2
    )
    result = services.do_test_now(actor, monitor)
    assert result.state == ProbeState.DOWN and "refused" in result.reason


def test_a_heartbeat_has_nothing_to_test(actor):
    monitor = services.do_create_monitor(actor, name="Backup", kind="heartbeat")
    with pytest.raises(services.ActionError, match="waits for pings"):
        services.do_test_now(actor, monitor)


def test_delete_is_audited_with_what_the_monitor_watched(actor):
    monitor = http_monitor(actor)
    services.do_delete(actor, monitor)
    assert not Monitor.objects.exists()
    entry = AuditEntry.objects.get(action="monitor.delete")
    assert entry.target_label == "Home" and entry.details["watched"] == "https://example.com/"


def test_maintenance_windows_are_validated_and_audited(actor):
    monitor = http_monitor(actor)
    now = timezone.now()
    with pytest.raises(ValidationError) as refused:
        services.do_add_maintenance(actor, monitor=monitor, starts_at=now, ends_at=now - timedelta(hours=1))
    assert "ends_at" in refused.value.message_dict
    with pytest.raises(ValidationError):
        services.do_add_maintenance(actor, starts_at=now, ends_at=now + timedelta(hours=1))
    window = services.do_add_maintenance(
        actor, monitor=monitor, starts_at=now, ends_at=now + timedelta(hours=1), reason="DB upgrade"
    )
    assert window.created_by == actor.user and window.is_active()
    services.do_change_maintenance(actor, window, ends_at=now + timedelta(minutes=5))
    window.refresh_from_db()
    assert window.ends_at == now + timedelta(minutes=5)
    services.do_delete_maintenance(actor, window)
    assert not MaintenanceWindow.objects.exists()
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions[-3:] == ["maintenance.add", "maintenance.change", "maintenance.delete"]


def add_results(monitor, latencies, start, step=timedelta(seconds=30), failed=()):
    CheckResult.objects.bulk_create(
        CheckResult(
            monitor=monitor,
            checked_at=start + step * n,
            outcome=CheckResult.Outcome.DOWN if n in failed else CheckResult.Outcome.UP,
            latency_ms=latency,
        )
        for n, latency in enumerate(latencies)
    )


def test_latest_results_are_the_newest_of_each_monitor_in_one_query(actor, django_assert_num_queries):
    start = datetime(2026, 3, 1, tzinfo=UTC)
    first, second, idle = http_monitor(actor, "A"), http_monitor(actor, "B"), http_monitor(actor, "C")
    add_results(first, range(100, 150), start)
    add_results(second, [5.0, 6.0], start)
    with django_assert_num_queries(1):
        latest = services.latest_results([first.pk, second.pk, idle.pk], 30)
    assert [r.latency_ms for r in latest[first.pk]] == list(range(120, 150))
    assert [r.latency_ms for r in latest[second.pk]] == [5.0, 6.0]
    assert latest[idle.pk] == []
    assert services.latest_results([], 30) == {}


def test_response_times_cut_a_period_into_buckets(actor):
    monitor = http_monitor(actor)
    since = datetime(2026, 3, 1, tzinfo=UTC)
    # Two hours, a check a minute; the 3rd and 4th of the second hour fail.
    add_results(monitor, [100.0] * 60 + [200.0] * 60, since, timedelta(minutes=1), failed={62, 63})
    buckets = services.response_times(monitor, since, since + timedelta(hours=4), 8)
    assert [b.checks for b in buckets] == [30, 30, 30, 30, 0, 0, 0, 0]
    assert [b.failures for b in buckets] == [0, 0, 2, 0, 0, 0, 0, 0]
    assert (buckets[0].avg_ms, buckets[3].max_ms, buckets[5].avg_ms) == (100.0, 200.0, None)
    hours = services.merge_buckets(buckets, 2)
    assert [(h.checks, h.failures, h.avg_ms) for h in hours] == [(60, 0, 100.0), (60, 2, 200.0), *[(0, 0, None)] * 2]
    assert hours[1].start == since + timedelta(hours=1) and hours[1].end == since + timedelta(hours=2)


def test_redundancy_counts_watched_monitors_not_confirmed_down(actor, django_assert_num_queries):
    api, lone = Component.objects.create(name="API"), Component.objects.create(name="Search")
    # Redundancy is declared (a group), as the data migration declares it for monitors sharing a component.
    group = RedundancyGroup.objects.create(name="API replicas")
    replicas = [http_monitor(actor, f"Replica {n}", component=api, redundancy_group=group) for n in range(4)]
    http_monitor(actor, "Search", component=lone)
    unattached = http_monitor(actor, "Elsewhere")
    Monitor.objects.filter(pk=replicas[0].pk).update(state=State.DOWN)
    Monitor.objects.filter(pk=replicas[1].pk).update(state=State.PAUSED)
    with django_assert_num_queries(1):
        figures = redundancy.component_redundancy([api.pk, lone.pk])
    assert figures[api.pk] == redundancy.Redundancy(up=2, total=3)
    assert str(figures[api.pk]) == "2 of 3 monitors up" and figures[api.pk].state == "degraded"
    assert str(figures[lone.pk]) == "1 of 1 monitor up" and figures[lone.pk].state == "up"
    annotated = redundancy.with_redundancy(Monitor.objects.all()).in_bulk()
    assert redundancy.redundancy_of(annotated[replicas[2].pk]) == figures[api.pk]
    assert redundancy.redundancy_of(annotated[unattached.pk]) is None
    Monitor.objects.filter(component=api).exclude(state=State.PAUSED).update(state=State.DOWN)
    assert redundancy.component_redundancy([api.pk])[api.pk].state == "down"
