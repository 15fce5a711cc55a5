"""Update cadence: the commander of an open SEV1/SEV2 incident is reminded once per overdue period."""

import logging
import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection

from comms import cadence
from comms.models import Contact, Notification, NotificationRule, UpdateReminder
from comms.tasks import remind_updates
from incidents.models import PublicStatus, Severity
from incidents.services import do_acknowledge, do_declare, do_post_update, do_resolve
from tests.conftest import need
from vigil.audit import Actor

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(minutes: float):
    return time_machine.travel(T0 + timedelta(minutes=minutes), tick=False)


def run_at(minutes: float) -> int:
    with at(minutes):
        return remind_updates.run()


@pytest.fixture
def commander(responder):
    Contact.objects.create(user=responder, phone="+14155552671")
    return responder


@pytest.fixture
def declare(actor):
    def make(severity=Severity.SEV1, commander=None):
        with at(0):
            incident, _ = do_declare(actor, title="Checkout down", severity=severity, commander=commander)
        return incident

    return make


def test_a_sev1_commander_is_reminded_once_per_overdue_period(declare, commander, actor):
    incident = declare(commander=commander)
    assert run_at(29.9) == 0
    assert run_at(30) == 1
    assert run_at(30.5) == 0, "the same period is not reminded twice"
    assert run_at(59) == 0
    assert run_at(61) == 1, "the second period is"
    assert list(UpdateReminder.objects.values_list("due_at", flat=True)) == [
        T0 + timedelta(minutes=60),
        T0 + timedelta(minutes=30),
    ]
    rows = Notification.objects.filter(user=commander).order_by("id")
    assert sorted(rows.values_list("medium", "destination")) == [
        ("email", commander.email),
        ("email", commander.email),
        ("sms", "+14155552671"),
        ("sms", "+14155552671"),
    ]
    email = rows.filter(medium="email").first()
    assert email.subject == f"[SEV1] Public update overdue: #{incident.pk} Checkout down"
    assert "no public update for 30 min" in email.body and f"/incidents/{incident.pk}/" in email.body
    assert len(rows.filter(medium="sms").first().body) <= 160


def test_a_public_update_restarts_the_clock(declare, commander, actor):
    incident = declare(commander=commander)
    assert run_at(31) == 1
    with at(40):
        do_post_update(actor, incident, PublicStatus.IDENTIFIED, "Found it.")
    assert run_at(69) == 0
    assert run_at(70) == 1
    assert UpdateReminder.objects.latest("due_at").due_at == T0 + timedelta(minutes=70)


def test_sev2_waits_an_hour_and_sev3_is_never_reminded(declare, commander):
    declare(severity=Severity.SEV2, commander=commander)
    declare(severity=Severity.SEV3, commander=commander)
    assert run_at(59) == 0
    assert run_at(60) == 1
    assert run_at(600) == 1, "only the SEV2, once for its current period"


def test_the_cadence_comes_from_settings(declare, commander, settings):
    settings.VIGIL_UPDATE_CADENCE_SEV1_MINUTES = 10
    settings.VIGIL_UPDATE_CADENCE_SEV2_MINUTES = 0
    declare(commander=commander)
    declare(severity=Severity.SEV2, commander=commander)
    assert run_at(10) == 1
    assert run_at(200) == 1, "SEV2's cadence is off"
    assert cadence.cadence_minutes(Severity.SEV2) == 0


def test_a_resolved_incident_is_not_reminded(declare, commander, actor):
    incident = declare(commander=commander)
    with at(5):
        do_resolve(actor, incident)
    assert run_at(120) == 0


def test_without_a_commander_whoever_acknowledged_is_reminded(declare, commander):
    incident = declare()
    with at(1):
        do_acknowledge(Actor(user=commander), incident)
    assert run_at(30) == 1
    assert UpdateReminder.objects.get().recipient == commander
    assert set(Notification.objects.values_list("user", flat=True)) == {commander.pk}


def test_with_nobody_to_remind_it_logs_once_per_period(declare, caplog):
    incident = declare()
    with caplog.at_level(logging.WARNING, logger="comms.cadence"):
        assert run_at(30) == 1
        assert run_at(31) == 0
    assert not Notification.objects.exists()
    assert UpdateReminder.objects.get().recipient is None
    lines = [r.getMessage() for r in caplog.records if r.name == "comms.cadence"]
    assert lines == [
        f"Incident {incident.pk} has had no public update for 30 min and no commander or acknowledger to remind"
    ]


def test_the_reminder_follows_the_persons_immediate_rules(declare, commander):
    NotificationRule.objects.create(user=commander, medium="voice", delay_minutes=0)
    NotificationRule.objects.create(user=commander, medium="email", delay_minutes=10)
    declare(commander=commander)
    run_at(30)
    assert list(Notification.objects.values_list("medium", flat=True)) == ["voice"]


def test_the_reminder_is_queued_for_sending_after_commit(
    declare, commander, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr("comms.queueing.queue_sends", queued.append)
    declare(commander=commander)
    with django_capture_on_commit_callbacks(execute=True):
        run_at(30)
    assert queued == [sorted(set(Notification.objects.values_list("channel", flat=True)))]


def test_the_period_is_counted_from_the_last_update():
    every = timedelta(minutes=30)
    c = cadence.Cadence(every=every, since=T0)
    assert c.period_due_at(T0 + timedelta(minutes=29)) is None
    assert c.period_due_at(T0 + timedelta(minutes=30)) == T0 + every
    assert c.period_due_at(T0 + timedelta(minutes=89, seconds=59)) == T0 + 2 * every
    assert c.period_due_at(T0 + timedelta(minutes=90)) == T0 + 3 * every


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_remind_once(roles, monkeypatch):
    need("PostgreSQL", connection.vendor == "postgresql", "this race is tested on PostgreSQL (set DATABASE_URL)")
    from tests.conftest import make_user
    from vigil.roles import Role

    monkeypatch.setattr("comms.queueing.queue_sends", lambda kinds: None)
    commander = make_user("ic", Role.RESPONDER)
    Contact.objects.create(user=commander, phone="+14155552671")
    with at(0):
        incident, _ = do_declare(Actor(user=commander), title="Checkout down", severity="sev1", commander=commander)
    threads, barrier, results, errors = [], threading.Barrier(4), [], []

    def sweep():
        try:
            barrier.wait(timeout=10)
            results.append(cadence.remind_updates())
        except Exception as exc:  # a thread's failure must fail the test
            errors.append(exc)
        finally:
            connection.close()

    with at(31):  # time-machine's clock is the whole process's: every thread sees it
        for _ in range(4):
            threads.append(threading.Thread(target=sweep))
            threads[-1].start()
        for thread in threads:
            thread.join(timeout=30)
    assert not errors, errors
    assert sorted(results) == [0, 0, 0, 1]
    assert UpdateReminder.objects.filter(incident=incident).count() == 1
    assert sorted(Notification.objects.values_list("medium", flat=True)) == ["email", "sms"]
