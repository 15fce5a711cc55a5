"""Notification rules that fit a person (issue #19 item 5): urgency, quiet hours, the My notifications page,
test pages, and the on-call warning for people who cannot be paged."""

import importlib
from datetime import UTC, datetime, time, timedelta

import pytest
from django.apps import apps as django_apps
from django.urls import reverse
from django.utils import timezone

from comms import outbox, urgency
from comms.models import (
    AppriseTarget,
    Contact,
    Notification,
    NotificationRule,
    NtfyTarget,
    PagingPreferences,
    State,
    Urgency,
)
from comms.models import TestPage as PageTest  # not "Test...": pytest would collect it
from incidents import paging
from incidents.models import Incident, Page
from incidents.services import do_declare
from tests.conftest import make_user
from tests.oncall.conftest import make_rotation, make_schedule
from vigil.audit import Actor
from vigil.roles import Role

migration = importlib.import_module("comms.migrations.0014_notification_rules_urgency")


@pytest.fixture
def olive(roles):
    person = make_user("olive", Role.RESPONDER)
    Contact.objects.create(user=person, phone="+447700900123")
    return person


def rules(person, level, *pairs):
    for medium, delay in pairs:
        NotificationRule.objects.create(user=person, urgency=level, medium=medium, delay_minutes=delay)


def page_about(person, severity, when=None):
    incident, _ = do_declare(Actor(via="test"), title=f"Something {severity}", severity=severity)
    page = paging.page(person, incident)
    if when is not None:
        Page.objects.filter(pk=page.pk).update(created_at=when)
        page.refresh_from_db()
    outbox.plan_page(page)
    return {r.medium: r for r in Notification.objects.filter(page=page)}


# --- Urgency ---------------------------------------------------------------------------------------


def test_a_sev1_page_follows_the_high_urgency_rules(olive):
    rules(olive, "high", ("sms", 0), ("voice", 5))
    rules(olive, "low", ("email", 0))
    assert set(page_about(olive, "sev1")) == {"sms", "voice"}


def test_a_sev3_page_follows_the_low_urgency_rules(olive):
    rules(olive, "high", ("sms", 0), ("voice", 5))
    rules(olive, "low", ("email", 0))
    assert set(page_about(olive, "sev3")) == {"email"}


def test_a_low_urgency_page_falls_back_to_the_high_rules_then_to_the_default(olive, settings):
    rules(olive, "high", ("voice", 2))
    rows = page_about(olive, "sev4")
    assert set(rows) == {"voice"}
    assert urgency.chain(make_user("nobody", Role.RESPONDER), "low") == [("email", 0), ("sms", 0)]


def test_the_high_urgency_severities_are_a_setting(settings):
    settings.VIGIL_HIGH_URGENCY_SEVERITIES = ["sev1"]
    assert urgency.of_severity("sev1") == "high"
    assert urgency.of_severity("sev2") == "low"


# --- Quiet hours -----------------------------------------------------------------------------------


def quiet(person, start, end, zone):
    PagingPreferences.objects.create(user=person, quiet_start=start, quiet_end=end, time_zone=zone)


def test_a_low_urgency_page_in_quiet_hours_waits_until_they_end_in_the_persons_zone(olive):
    rules(olive, "low", ("email", 0), ("sms", 2))
    quiet(olive, time(22), time(7), "America/New_York")  # across midnight, in New York
    at = datetime(2026, 1, 15, 4, 30, tzinfo=UTC)  # 23:30 in New York, the 14th
    rows = page_about(olive, "sev3", at)
    end = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)  # 07:00 in New York, the 15th
    assert rows["email"].next_attempt_at == end
    assert rows["sms"].next_attempt_at == end + timedelta(minutes=2)
    assert rows["email"].note == "Held until 07:00 America/New_York (quiet hours)."


def test_after_midnight_the_hold_ends_the_same_morning(olive):
    rules(olive, "low", ("email", 0))
    quiet(olive, time(22), time(7), "Europe/Paris")
    at = datetime(2026, 1, 15, 2, 0, tzinfo=UTC)  # 03:00 in Paris
    assert page_about(olive, "sev3", at)["email"].next_attempt_at == datetime(2026, 1, 15, 6, 0, tzinfo=UTC)


def test_outside_quiet_hours_and_at_high_urgency_nothing_waits(olive):
    rules(olive, "low", ("email", 0))
    rules(olive, "high", ("sms", 0))
    quiet(olive, time(22), time(7), "UTC")
    noon = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
    assert page_about(olive, "sev3", noon)["email"].next_attempt_at == noon
    night = datetime(2026, 1, 15, 23, 0, tzinfo=UTC)
    row = page_about(olive, "sev1", night)["sms"]
    assert row.next_attempt_at == night
    assert row.note == ""


# --- The migration ---------------------------------------------------------------------------------


def test_the_migration_copies_every_rule_as_low_urgency_so_nothing_changes(olive):
    rules(olive, "high", ("sms", 0), ("voice", 5))
    migration.copy_rules_as_low_urgency(django_apps, None)
    migration.copy_rules_as_low_urgency(django_apps, None)  # twice: nothing more
    assert urgency.chain(olive, "low") == urgency.chain(olive, "high") == [("sms", 0), ("voice", 5)]
    migration.drop_low_urgency_rules(django_apps, None)
    assert not NotificationRule.objects.filter(urgency="low").exists()


# --- The page --------------------------------------------------------------------------------------

URL = "/comms/me/notifications/"


@pytest.fixture
def olive_client(client, olive):
    client.force_login(olive)
    return client


def test_a_responder_adds_moves_and_removes_their_own_rules(olive_client, olive):
    response = olive_client.post(URL, {"form": "rule", "urgency": "high", "medium": "sms", "delay_minutes": "0"})
    assert response.status_code == 302
    olive_client.post(URL, {"form": "rule", "urgency": "high", "medium": "voice", "delay_minutes": "5"})
    voice = NotificationRule.objects.get(user=olive, medium="voice")
    olive_client.post(reverse("comms:my_rule", args=[voice.pk, "up"]))
    assert urgency.chain(olive, "high") == [("voice", 0), ("sms", 5)]
    olive_client.post(reverse("comms:my_rule", args=[voice.pk, "delay"]), {"delay_minutes": "9"})
    assert urgency.chain(olive, "high") == [("sms", 5), ("voice", 9)]
    olive_client.post(reverse("comms:my_rule", args=[voice.pk, "remove"]))
    assert urgency.chain(olive, "high") == [("sms", 5)]
    page = olive_client.get(URL).content.decode()
    assert 'data-testid="rule-ok"' in page


def test_a_rule_that_reaches_nobody_says_why(olive_client, olive):
    rules(olive, "high", ("ntfy", 0))
    assert "Does not reach you now: no ntfy topic." in olive_client.get(URL).content.decode()


def test_nobody_edits_another_persons_rules(olive_client, roles):
    other = make_user("pat", Role.RESPONDER)
    rules(other, "high", ("sms", 0))
    rule = NotificationRule.objects.get(user=other)
    assert olive_client.post(reverse("comms:my_rule", args=[rule.pk, "remove"])).status_code == 404
    assert NotificationRule.objects.filter(pk=rule.pk).exists()
    test = PageTest.objects.create(user=other)
    assert olive_client.get(reverse("comms:my_test_page", args=[test.pk])).status_code == 404


def test_a_viewer_may_not_use_the_page(client, viewer):
    client.force_login(viewer)
    assert client.get(URL).status_code == 403


def test_errors_are_shown_beside_their_fields(olive_client, olive):
    response = olive_client.post(URL, {"form": "contact", "phone": "07700 900123"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-field="phone"' in html and "has-error" in html
    response = olive_client.post(
        URL, {"form": "quiet", "quiet_start": "22:00", "quiet_end": "", "time_zone": "Mars/Base"}
    )
    html = response.content.decode()
    assert "Give both times, or neither." in html and "Unknown time zone" in html
    rules(olive, "high", ("sms", 0))
    response = olive_client.post(URL, {"form": "rule", "urgency": "high", "medium": "sms", "delay_minutes": "3"})
    assert "You have a rule for this method already" in response.content.decode()


def test_secrets_are_saved_but_never_shown_back(olive_client, olive):
    olive_client.post(
        URL, {"form": "ntfy", "server": "https://ntfy.sh", "topic": "olive-pages-x7", "token": "tk_SECRETTOKEN"}
    )
    olive_client.post(URL, {"form": "apprise", "url": "tgram://bot123:SECRETBOT/456", "label": "Telegram"})
    assert NtfyTarget.objects.get(user=olive).token == "tk_SECRETTOKEN"
    assert AppriseTarget.objects.get(user=olive).url == "tgram://bot123:SECRETBOT/456"
    olive_client.post(URL, {"form": "ntfy", "server": "https://ntfy.sh", "topic": "olive-pages-x8", "token": ""})
    assert NtfyTarget.objects.get(user=olive).token == "tk_SECRETTOKEN"  # blank keeps it
    html = olive_client.get(URL).content.decode()
    assert "SECRETTOKEN" not in html and "SECRETBOT" not in html
    assert 'data-testid="ntfy-token-set"' in html and 'data-testid="apprise-set"' in html


def test_quiet_hours_are_saved(olive_client, olive):
    response = olive_client.post(
        URL, {"form": "quiet", "quiet_start": "22:00", "quiet_end": "07:00", "time_zone": "Europe/Paris"}
    )
    assert response.status_code == 302
    prefs = PagingPreferences.objects.get(user=olive)
    assert (prefs.quiet_start, prefs.quiet_end, prefs.time_zone) == (time(22), time(7), "Europe/Paris")


# --- Send a test page ------------------------------------------------------------------------------


def test_a_test_page_runs_the_whole_chain_and_shows_what_arrived(olive_client, olive, settings):
    settings.VIGIL_COMMS_SANDBOX = True
    rules(olive, "high", ("email", 0), ("sms", 2), ("ntfy", 5))
    response = olive_client.post(URL, {"form": "test", "urgency": "high"})
    assert response.status_code == 302
    test = PageTest.objects.get(user=olive)
    assert sorted(test.notifications.values_list("medium", flat=True)) == ["email", "sms"]
    assert all(r.next_attempt_at <= timezone.now() for r in test.notifications.all())
    outbox.send_due("sandbox")
    assert set(test.notifications.values_list("state", flat=True)) == {State.SENT}
    assert not Incident.objects.exists() and not Page.objects.exists()
    panel = olive_client.get(reverse("comms:my_test_page", args=[test.pk])).content.decode()
    assert panel.count('data-testid="test-row-state"') == 2 and "Sent" in panel
    assert "Not sent: no ntfy topic" in panel and "after 2 min" in panel
    assert 'data-testid="test-panel"' in olive_client.get(URL).content.decode()


def test_a_low_urgency_test_uses_the_low_chain(olive, settings):
    settings.VIGIL_COMMS_SANDBOX = True
    from comms import services

    rules(olive, "high", ("sms", 0))
    rules(olive, "low", ("email", 0))
    test = services.do_send_test_page(Actor(user=olive, via="web"), Urgency.LOW)
    assert list(test.notifications.values_list("medium", flat=True)) == ["email"]


# --- The on-call warning ---------------------------------------------------------------------------


def test_the_oncall_pages_flag_who_cannot_be_paged(client, admin_user, olive, roles):
    unreachable = make_user("quinn", Role.RESPONDER)
    unreachable.email = ""
    unreachable.save()
    schedule = make_schedule()
    make_rotation(schedule, [unreachable, olive], starts_at=timezone.now() - timedelta(hours=1), length=1, unit="days")
    client.force_login(admin_user)
    for url in ("/oncall/", schedule.get_absolute_url()):
        html = client.get(url).content.decode()
        assert "quinn cannot be paged: no working method" in html
        assert "olive cannot be paged" not in html
