"""Maintenance notices to subscribers: when scheduled, changed, an hour before, at start and at end; once each."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from comms import outbox
from comms.models import MaintenanceNotice, Notification, ScheduledMaintenance, Subscriber
from comms.status import services
from comms.status.subscribers import notices
from comms.tasks import sweep
from vigil.queue import task

Moment = MaintenanceNotice.Moment


def subscriber(address: str, components=(), kind="email", confirmed=True) -> Subscriber:
    person = Subscriber.objects.create(
        kind=kind, address=address, confirmed_at=timezone.now() if confirmed else None, secret="k" * 64
    )
    person.components.set(components)
    return person


def plan_all() -> None:
    """What comms.tasks.plan_notice does after each commit (and the sweeper for any it missed)."""
    for pk in MaintenanceNotice.objects.filter(planned_at=None).order_by("pk").values_list("pk", flat=True):
        notices.plan(pk)


def told(person: Subscriber) -> list[str]:
    rows = Notification.objects.filter(subscriber=person, notice__isnull=False).order_by("notice_id")
    return [row.notice.moment for row in rows]


@pytest.fixture
def window():
    start = (timezone.now() + timedelta(hours=3)).replace(microsecond=0)
    return start, start + timedelta(hours=2)


@pytest.fixture
def maintenance(actor, api, window):
    """Announced three hours ahead (and, for the reminder's sake, created well before its last hour)."""
    maintenance = services.do_schedule_maintenance(
        actor, title="Database upgrade", message="Writes pause for a minute.", components=[api],
        starts_at=window[0], ends_at=window[1],
    )  # fmt: skip
    return maintenance


def test_each_moment_is_told_once_to_each_interested_subscriber(actor, api, website, window):
    everything = subscriber("all@example.com")
    on_api = subscriber("api@example.com", [api])
    on_website = subscriber("web@example.com", [website])
    pending = subscriber("pending@example.com", confirmed=False)
    start, end = window
    maintenance = services.do_schedule_maintenance(
        actor, title="Database upgrade", message="Writes pause for a minute.", components=[api],
        starts_at=start, ends_at=end,
    )  # fmt: skip
    plan_all()
    assert told(everything) == told(on_api) == [Moment.CREATED]

    # Beat every few seconds through the whole window, and twice at each moment.
    moments = [start - timedelta(hours=2), start - timedelta(minutes=59), start - timedelta(minutes=30), start, end]
    for now in moments:
        for _ in range(2):
            services.advance_due(now)
            notices.remind_due(now)
            plan_all()
            plan_all()
    expected = [Moment.CREATED, Moment.REMINDER, Moment.STARTED, Moment.COMPLETED]
    assert told(everything) == told(on_api) == expected
    assert told(on_website) == told(pending) == []
    maintenance.refresh_from_db()
    assert maintenance.status == "completed"
    assert set(MaintenanceNotice.objects.values_list("moment", flat=True)) == set(expected)


def test_the_notices_say_what_happened(actor, api, maintenance, window):
    person = subscriber("ada@example.com")
    hook = subscriber("https://hooks.example/status", kind="webhook")
    plan_all()
    services.advance_due(window[0])
    plan_all()
    started = Notification.objects.get(subscriber=person, notice__moment=Moment.STARTED)
    assert started.subject == "[Scheduled maintenance] Database upgrade (In progress)"
    assert started.body.startswith("This scheduled maintenance has started.")
    assert "Writes pause for a minute." in started.body
    assert "Manage or cancel: [manage link]" in started.body  # the link is put in as it is sent
    assert "Manage or cancel: http" in outbox._message(started).body
    payload = json.loads(outbox._message(Notification.objects.get(subscriber=hook, notice__moment=Moment.STARTED)).body)
    assert payload["event"] == "maintenance.started"
    assert payload["maintenance"]["status"] == "in_progress"
    assert payload["manage_url"].startswith("http")


def test_a_change_is_told_and_an_edit_that_changes_nothing_is_not(actor, api, maintenance):
    person = subscriber("ada@example.com")
    services.do_change_maintenance(actor, maintenance, title="Database upgrade")  # the same
    plan_all()
    assert told(person) == [Moment.CREATED]
    services.do_change_maintenance(actor, maintenance, ends_at=maintenance.ends_at + timedelta(hours=1))
    services.do_change_maintenance(actor, maintenance, message="Writes pause for two minutes.")
    plan_all()
    assert told(person) == [Moment.CREATED, Moment.CHANGED, Moment.CHANGED]
    last = Notification.objects.filter(subscriber=person).order_by("notice_id").last()
    assert "has changed" in last.body and "two minutes" in last.body


def test_a_rescheduled_maintenance_is_reminded_of_again(actor, api, maintenance, window):
    person = subscriber("ada@example.com")
    notices.remind_due(window[0] - timedelta(minutes=30))
    later = window[0] + timedelta(days=1)
    services.do_change_maintenance(actor, maintenance, starts_at=later, ends_at=later + timedelta(hours=1))
    notices.remind_due(later - timedelta(minutes=30))
    notices.remind_due(later - timedelta(minutes=20))
    plan_all()
    assert told(person) == [Moment.CREATED, Moment.REMINDER, Moment.CHANGED, Moment.REMINDER]


def test_one_announced_within_its_last_hour_gets_no_reminder(actor, api):
    person = subscriber("ada@example.com")
    start = timezone.now() + timedelta(minutes=40)
    services.do_schedule_maintenance(
        actor, title="Quick fix", message="A restart.", components=[api], starts_at=start,
        ends_at=start + timedelta(minutes=10),
    )  # fmt: skip
    assert notices.remind_due(start - timedelta(minutes=30)) == 0
    plan_all()
    assert told(person) == [Moment.CREATED]


def test_started_by_hand_then_verifying_then_in_progress_again_is_one_start(actor, api, maintenance):
    person = subscriber("ada@example.com")
    services.do_move_maintenance(actor, maintenance, "in_progress")
    services.do_move_maintenance(actor, maintenance, "verifying")
    services.do_move_maintenance(actor, maintenance, "in_progress")
    services.do_move_maintenance(actor, maintenance, "completed")
    plan_all()
    assert told(person) == [Moment.CREATED, Moment.STARTED, Moment.COMPLETED]


def test_the_sweeper_plans_a_notice_whose_queueing_was_lost(actor, api, maintenance, monkeypatch):
    person = subscriber("ada@example.com")
    MaintenanceNotice.objects.update(created_at=timezone.now() - timedelta(minutes=5))
    planned = []
    # What the sweeper queues by name: comms.tasks.plan_notice, run here; no fan-out, nothing sent.
    plan = task("comms.tasks.plan_notice")
    monkeypatch.setattr(plan, "apply_async", lambda args, **kw: planned.append(args[0]) or notices.plan(*args))
    monkeypatch.setattr(task("comms.tasks.fan_out"), "apply_async", lambda args, **kw: None)
    monkeypatch.setattr("comms.queueing.queue_sends", lambda kinds: None)
    sweep()
    assert planned == list(MaintenanceNotice.objects.values_list("pk", flat=True))
    assert told(person) == [Moment.CREATED]


def test_a_withdrawn_maintenance_leaves_nothing_to_plan(actor, api, maintenance):
    subscriber("ada@example.com")
    notice = MaintenanceNotice.objects.get()
    services.do_cancel_maintenance(actor, maintenance)
    assert notices.plan(notice.pk) == []
    assert not ScheduledMaintenance.objects.exists()
