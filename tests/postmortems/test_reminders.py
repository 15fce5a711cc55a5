"""Owners are mailed before an action item is due and while it is overdue, once per step, through the outbox."""

import logging
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from comms.models import Medium, Notification
from postmortems import services
from postmortems.models import ActionItem, ActionItemReminder
from postmortems.tasks import remind_action_items
from vigil.audit import Actor

DUE = date(2030, 3, 15)


@pytest.fixture
def actor(admin_user):
    return Actor(user=admin_user, via="web")


@pytest.fixture
def item(actor, responder):
    return services.do_create_action_item(
        actor, title="Alert on replica lag", owner=responder, due_date=DUE, priority=ActionItem.Priority.HIGH
    )


def run(day: date) -> int:
    return services.send_action_item_reminders(today=day)


def mails(user) -> list[Notification]:
    return list(Notification.objects.filter(user=user).order_by("id"))


def test_before_it_is_due_the_owner_is_mailed_once(item, responder):
    assert run(DUE - timedelta(days=4)) == 0  # not yet: 3 days before is the default
    assert run(DUE - timedelta(days=3)) == 1
    [mail] = mails(responder)
    assert mail.medium == Medium.EMAIL and mail.destination == responder.email
    assert mail.state == "queued" and mail.update_id is None
    assert mail.subject == "[Vigil] Action item due in 3 days: Alert on replica lag"
    assert "is due on Fri 15 Mar 2030" in mail.body and f"/postmortems/action-items/{item.pk}/" in mail.body
    assert run(DUE - timedelta(days=3)) == 0  # beat runs again the same day
    assert run(DUE - timedelta(days=1)) == 0  # and on the following days
    assert run(DUE) == 0
    assert len(mails(responder)) == 1
    reminder = ActionItemReminder.objects.get()
    assert (reminder.kind, reminder.due_date, reminder.sequence) == ("due", DUE, 0)


def test_an_item_filed_inside_the_window_is_reminded_at_once(actor, responder):
    services.do_create_action_item(actor, title="Rotate the key", owner=responder, due_date=DUE)
    assert run(DUE) == 1
    assert mails(responder)[0].subject == "[Vigil] Action item due today: Rotate the key"


def test_overdue_reminders_repeat_weekly_until_closed(actor, item, responder):
    assert run(DUE - timedelta(days=3)) == 1
    assert run(DUE + timedelta(days=1)) == 1
    overdue = mails(responder)[-1]
    assert overdue.subject == "[Vigil] Action item overdue by 1 day: Alert on replica lag"
    assert "was due on Fri 15 Mar 2030 and is still open" in overdue.body
    assert "You will be reminded every 7 days until it is closed." in overdue.body
    for late in range(1, 8):  # days 1..7 late: the first overdue reminder covers them
        assert run(DUE + timedelta(days=late)) == 0
    assert run(DUE + timedelta(days=8)) == 1
    assert mails(responder)[-1].subject == "[Vigil] Action item overdue by 8 days: Alert on replica lag"
    assert list(ActionItemReminder.objects.order_by("id").values_list("kind", "sequence")) == [
        ("due", 0),
        ("overdue", 0),
        ("overdue", 1),
    ]
    services.do_update_action_item(actor, item, status=ActionItem.Status.DONE)
    assert run(DUE + timedelta(days=15)) == 0
    assert len(mails(responder)) == 3


def test_with_no_repeat_the_overdue_reminder_is_sent_once(settings, item, responder):
    settings.VIGIL_ACTION_ITEM_OVERDUE_EVERY_DAYS = 0
    assert run(DUE + timedelta(days=2)) == 1
    assert run(DUE + timedelta(days=30)) == 0
    assert "You will be reminded" not in mails(responder)[0].body


def test_the_settings_move_the_window(settings, item, responder):
    settings.VIGIL_ACTION_ITEM_REMIND_DAYS = 10
    assert run(DUE - timedelta(days=11)) == 0
    assert run(DUE - timedelta(days=10)) == 1


@pytest.mark.parametrize("status", [ActionItem.Status.DONE, ActionItem.Status.WONT_DO])
def test_closed_items_are_never_reminded(actor, item, responder, status):
    services.do_update_action_item(actor, item, status=status)
    assert run(DUE - timedelta(days=1)) == 0
    assert run(DUE + timedelta(days=1)) == 0
    assert mails(responder) == [] and not ActionItemReminder.objects.exists()


def test_an_item_in_progress_is_still_reminded(actor, item, responder):
    services.do_update_action_item(actor, item, status=ActionItem.Status.IN_PROGRESS)
    assert run(DUE + timedelta(days=1)) == 1
    assert "is still in progress" in mails(responder)[0].body


def test_no_owner_or_no_address_is_skipped_with_a_log_line(actor, responder, caplog):
    nobody = services.do_create_action_item(actor, title="Nobody's", due_date=DUE)
    responder.email = ""
    responder.save()
    unmailable = services.do_create_action_item(actor, title="Unmailable", owner=responder, due_date=DUE)
    with caplog.at_level(logging.INFO, logger="postmortems.services"):
        assert run(DUE + timedelta(days=1)) == 0
    assert Notification.objects.count() == 0 and not ActionItemReminder.objects.exists()
    skipped = [r.getMessage() for r in caplog.records if r.getMessage().endswith("skipped")]
    why = "is overdue, but has no active owner with an email address to remind: skipped"
    assert sorted(skipped) == sorted(
        [f"Action item {nobody.pk} (Nobody's) {why}", f"Action item {unmailable.pk} (Unmailable) {why}"]
    )


def test_a_new_due_date_earns_a_new_reminder(actor, item, responder):
    assert run(DUE - timedelta(days=1)) == 1
    later = DUE + timedelta(days=14)
    services.do_update_action_item(actor, item, due_date=later)
    assert run(DUE + timedelta(days=1)) == 0  # no longer overdue, not yet due again
    assert run(later - timedelta(days=2)) == 1
    assert [r.due_date for r in ActionItemReminder.objects.order_by("id")] == [DUE, later]


def test_a_new_owner_is_reminded_too(actor, item, responder, viewer):
    assert run(DUE - timedelta(days=1)) == 1
    services.do_update_action_item(actor, item, owner=viewer)
    assert run(DUE - timedelta(days=1)) == 1
    assert len(mails(responder)) == 1 and len(mails(viewer)) == 1


def test_the_beat_task_uses_todays_date(item, responder):
    with time_machine.travel(datetime(2030, 3, 16, 9, 0, tzinfo=UTC), tick=False):
        assert remind_action_items() == 1
        assert remind_action_items() == 0
    assert mails(responder)[0].subject.startswith("[Vigil] Action item overdue by 1 day")


def test_the_outbox_sends_it_by_email_after_commit(
    item, responder, eager_celery, django_capture_on_commit_callbacks, settings
):
    settings.VIGIL_EMAIL_CHANNEL = "smtp"  # Django's EMAIL_BACKEND: pytest-django's locmem outbox
    settings.VIGIL_BASE_URL = "https://vigil.example.com"
    with django_capture_on_commit_callbacks(execute=True):
        assert run(DUE - timedelta(days=2)) == 1
    [sent] = mail.outbox
    assert sent.to == [responder.email]
    assert sent.subject == "[Vigil] Action item due in 2 days: Alert on replica lag"
    assert f"https://vigil.example.com/postmortems/action-items/{item.pk}/" in sent.body
    assert "Priority: High" in sent.body
    assert Notification.objects.get(user=responder).state == "sent"
    with django_capture_on_commit_callbacks(execute=True):
        assert run(DUE - timedelta(days=1)) == 0
    assert len(mail.outbox) == 1


def test_the_list_shows_overdue_items_first_class(web_clients, actor, responder):
    today = timezone.localdate()
    late = services.do_create_action_item(
        actor, title="Alert on replica lag", owner=responder, due_date=today - timedelta(days=5)
    )
    services.do_create_action_item(actor, title="Due later", owner=responder, due_date=today + timedelta(days=1))
    closed = services.do_create_action_item(actor, title="Closed late", due_date=today - timedelta(days=9))
    services.do_update_action_item(actor, closed, status=ActionItem.Status.DONE)
    assert list(ActionItem.objects.overdue(today)) == [late]
    page = web_clients["viewer"].get("/postmortems/action-items/").content.decode()
    banner = page.split('data-testid="overdue-count">')[1].split("</p>")[0]
    assert "1 action item overdue." in banner and 'href="?show=overdue"' in banner
    assert page.count("data-overdue") == 1 and "overdue by 5\xa0days" in page
    overdue = web_clients["viewer"].get("/postmortems/action-items/?show=overdue").content.decode()
    assert "Alert on replica lag" in overdue and "Due later" not in overdue and "Closed late" not in overdue
    assert 'href="?show=overdue" aria-current="page"' in overdue


def test_a_second_worker_finds_the_reminder_recorded_and_sends_nothing(item, responder):
    from postmortems import reminders

    step = reminders.Step(ActionItemReminder.Kind.DUE)
    assert services._remind(item, step, DUE, 7) is True
    assert services._remind(item, step, DUE, 7) is False  # the unique key, not the caller's list, decides
    assert len(mails(responder)) == 1


def test_the_items_page_lists_the_reminders_sent(web_clients, item, responder):
    run(DUE - timedelta(days=1))
    page = web_clients["viewer"].get(item.get_absolute_url()).content.decode()
    section = page.split('data-testid="item-reminders">')[1].split("</section>")[0]
    assert f"Due soon (due Mar 15, 2030) to {responder}" in section
