"""Owners hear about reviews, participants about drills: by email through the comms outbox.

The email channel is set to SMTP, i.e. Django's EMAIL_BACKEND, which pytest-django swaps for
the locmem backend: mail.outbox holds what the outbox sent.
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from dr_plans import notices, services
from tests.conftest import make_user
from vigil.audit import Actor
from vigil.roles import Role

from .conftest import make_plan

APPROVED = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def email_by_smtp(settings):
    settings.VIGIL_EMAIL_CHANNEL = "smtp"


@pytest.fixture
def owned_plan(admin_actor, responder):
    with time_machine.travel(APPROVED, tick=False):
        return make_plan(admin_actor, owner=responder, review_every_days=90)


def sweep(day: int, capture) -> int:
    with time_machine.travel(APPROVED + timedelta(days=day), tick=False), capture(execute=True):
        return services.send_review_reminders()


def test_the_owner_is_mailed_before_the_review_is_due_and_when_overdue(
    owned_plan, responder, eager_celery, django_capture_on_commit_callbacks, settings
):
    settings.VIGIL_DR_REVIEW_REMIND_DAYS = 14
    settings.VIGIL_BASE_URL = "https://vigil.example.com"
    assert sweep(60, django_capture_on_commit_callbacks) == 0
    assert mail.outbox == []
    assert sweep(77, django_capture_on_commit_callbacks) == 1
    assert sweep(78, django_capture_on_commit_callbacks) == 0
    assert sweep(91, django_capture_on_commit_callbacks) == 1
    assert [m.subject for m in mail.outbox] == [
        f"[Vigil] Review due: DR plan “{owned_plan}”",
        f"[Vigil] Review overdue: DR plan “{owned_plan}”",
    ]
    due, overdue = mail.outbox
    assert due.to == [responder.email] and due.from_email == settings.DEFAULT_FROM_EMAIL
    assert "is due on Wed 01 Apr 2026 09:00 UTC (every 90 days)" in due.body
    assert f"https://vigil.example.com/dr-plans/{owned_plan.pk}/" in due.body
    assert "was due on Wed 01 Apr 2026" in overdue.body


def test_a_plan_without_an_owner_tells_its_approver(admin_actor, eager_celery, django_capture_on_commit_callbacks):
    approver = make_user("april-approver", Role.VIEWER)
    with time_machine.travel(APPROVED, tick=False):
        make_plan(admin_actor, approver=approver)
    assert sweep(100, django_capture_on_commit_callbacks) == 1
    assert [m.to for m in mail.outbox] == [[approver.email]]


def test_nobody_to_tell_sends_nothing(admin_actor, eager_celery, django_capture_on_commit_callbacks):
    with time_machine.travel(APPROVED, tick=False):
        make_plan(admin_actor)
    assert sweep(100, django_capture_on_commit_callbacks) == 1  # announced, and shown on the dashboard
    assert mail.outbox == []


def test_participants_are_mailed_when_a_drill_is_scheduled(
    admin_actor, plan, responder, viewer, eager_celery, django_capture_on_commit_callbacks
):
    when = datetime(2030, 1, 1, 10, 0, tzinfo=UTC)
    with django_capture_on_commit_callbacks(execute=True):
        drill = services.do_schedule_drill(
            admin_actor, plan, scenario="Region down", scheduled_for=when, repeat_every_days=90,
            participants=[responder, viewer],
        )  # fmt: skip
    assert sorted(m.to[0] for m in mail.outbox) == sorted([responder.email, viewer.email])  # one email each
    for message in mail.outbox:
        assert message.subject == "[Vigil] DR drill scheduled: Region down — Tue 01 Jan 2030 10:00 UTC"
        assert "Scenario: Region down" in message.body and "(every 90 days)" in message.body
        assert "recover within 30 min (RTO), lose at most 5 min of data (RPO)" in message.body
        assert f"/dr-plans/drills/{drill.pk}/" in message.body


def test_a_drill_cancelled_before_its_notice_goes_sends_nothing(admin_actor, plan, responder):
    drill = services.do_schedule_drill(
        admin_actor, plan, scenario="x", scheduled_for=datetime(2030, 1, 1, tzinfo=UTC), participants=[responder]
    )
    services.do_cancel_drill(admin_actor, drill)
    assert notices.send("drill_scheduled", drill.pk) == 0
    assert notices.send("drill_scheduled", 999_999) == 0
    assert mail.outbox == []


def test_the_owner_is_mailed_when_an_action_item_asks_for_a_change(
    admin_actor, owned_plan, responder, eager_celery, django_capture_on_commit_callbacks
):
    from postmortems.services import do_create_action_item

    with django_capture_on_commit_callbacks(execute=True):
        item = do_create_action_item(admin_actor, title="Update step 2: promote the standby", target=owned_plan)
    (message,) = mail.outbox
    assert message.subject == f"[Vigil] Review requested: DR plan “{owned_plan}”"
    assert message.to == [responder.email]
    assert "alice-admin asked for a change" in message.body and "Update step 2: promote the standby" in message.body
    assert item.get_absolute_url() in message.body


def test_a_mail_server_that_fails_is_tried_again_by_the_outbox(plan, responder, monkeypatch):
    import smtplib

    from django.core.mail.backends.locmem import EmailBackend

    from comms import outbox
    from comms.models import Notification, State

    drill = services.do_schedule_drill(
        Actor(user=responder), plan, scenario="x", scheduled_for=datetime(2030, 1, 1, tzinfo=UTC),
        participants=[responder],
    )  # fmt: skip
    assert notices.send("drill_scheduled", drill.pk) == 1
    (row,) = Notification.objects.filter(user=responder)
    assert row.channel == "smtp" and row.destination == responder.email
    send_for_real = EmailBackend.send_messages

    def down_once(self, messages):
        if not getattr(down_once, "failed", False):
            down_once.failed = True
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return send_for_real(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", down_once)
    outbox.send_due("smtp")
    row.refresh_from_db()
    assert row.state == State.QUEUED and row.attempts == 1 and "Connection unexpectedly closed" in row.error
    assert mail.outbox == []
    with time_machine.travel(row.next_attempt_at + timedelta(seconds=1), tick=False):
        outbox.send_due("smtp")
    row.refresh_from_db()
    assert row.state == State.SENT and len(mail.outbox) == 1
