"""Incident channels: opened for severe incidents and those declared from Slack, their people
invited, links bookmarked, card pinned; Slack trouble retried or recorded; archived after resolution."""

from datetime import timedelta

import pytest
from django.utils import timezone

from chat.models import IncidentChannel, SlackIdentity
from chat.slack import channels
from incidents import services
from incidents.models import EscalationLevel, EscalationPolicy, Incident, Page
from vigil.audit import Actor

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_celery")]


@pytest.fixture
def policy(responder):
    policy = EscalationPolicy.objects.create(name="Platform", repeat=1)
    EscalationLevel.objects.create(policy=policy, position=0, timeout_minutes=5).users.add(responder)
    return policy


def declare(actor, severity="sev1", title="Checkout errors!", **extra):
    incident, _ = services.do_declare(actor, title=title, severity=severity, **extra)
    return Incident.objects.get(pk=incident.pk)


def test_a_sev1_declared_on_the_web_gets_a_channel_with_its_people_links_and_pinned_card(
    slack, settings, admin_user, responder, policy
):
    settings.VIGIL_BRIDGE_URL_TEMPLATE = "https://meet.example.com/{id}"
    slack.add_user("U100", responder.email)
    slack.add_user("U200", admin_user.email)
    incident = declare(Actor(user=admin_user, via="web"), commander=admin_user, escalation_policy=policy)

    row = IncidentChannel.objects.get(incident=incident)
    assert row.name == f"inc-{incident.pk}-checkout-errors"
    assert row.problem == ""
    assert slack.channel_named(row.name)["id"] == row.channel_id
    assert Page.objects.filter(incident=incident, user=responder).exists()
    assert {"U100", "U200"} <= set(slack.members(row.channel_id))
    assert SlackIdentity.objects.filter(user=responder, slack_user_id="U100").exists()
    links = {b["title"]: b["link"] for b in slack.bookmarks(row.channel_id)}
    assert links["Bridge"] == f"https://meet.example.com/{incident.pk}"
    assert links["Status page"].endswith("/status/")
    assert slack.pins(row.channel_id) == [row.card_ts]
    [card] = [m for m in slack.messages(row.channel_id) if m["ts"] == row.card_ts]
    assert f"#{incident.pk} Checkout errors!" in str(card["blocks"])
    incident.refresh_from_db()
    assert incident.chat_url == f"https://slack.com/app_redirect?channel={row.channel_id}"
    assert incident.bridge_url == f"https://meet.example.com/{incident.pk}"


def test_a_sev3_gets_no_channel_unless_declared_from_slack(slack, admin_user):
    quiet = declare(Actor(user=admin_user, via="api"), severity="sev3", title="Minor")
    assert not IncidentChannel.objects.filter(incident=quiet).exists()
    assert not slack.calls_to("conversations.create")

    slack.add_user("U300", admin_user.email)
    from_slack = declare(Actor(user=admin_user, via="slack"), severity="sev3", title="Minor too")
    row = IncidentChannel.objects.get(incident=from_slack)
    assert "U300" in slack.members(row.channel_id)  # the declarer


def test_no_channel_when_slack_is_off(admin_user):
    incident = declare(Actor(user=admin_user, via="web"))
    assert not IncidentChannel.objects.filter(incident=incident).exists()


def test_raising_the_severity_opens_a_channel(slack, admin_user):
    incident = declare(Actor(user=admin_user, via="web"), severity="sev3")
    services.do_change_severity(Actor(user=admin_user, via="web"), incident, "sev1")
    assert IncidentChannel.objects.get(incident=incident).channel_id


def test_a_taken_name_gets_a_number(slack, admin_user):
    incident = Incident.objects.create(title="Checkout errors", severity="sev3")
    slack.add_channel(channels.channel_name(incident))
    channels.open_channel(incident)
    row = IncidentChannel.objects.get(incident=incident)
    assert row.name == f"inc-{incident.pk}-checkout-errors-2"
    assert slack.channel_named(row.name)["id"] == row.channel_id


def test_names_follow_slacks_rules(settings):
    settings.VIGIL_SLACK_CHANNEL_PATTERN = "INC {id} {slug}"
    incident = Incident(pk=7, title="Ünïcode & spaces — " + "x" * 200)
    name = channels.channel_name(incident)
    assert name.startswith("inc-7-unicode-spaces-")
    assert len(name) <= 80 and set(name) <= set("abcdefghijklmnopqrstuvwxyz0123456789-_")


def test_a_rate_limited_create_is_retried_and_makes_one_channel(slack, admin_user):
    slack.fail_next("conversations.create", "ratelimited", count=2, status=429, retry_after=1)
    incident = declare(Actor(user=admin_user, via="web"))
    row = IncidentChannel.objects.get(incident=incident)
    assert row.channel_id and row.problem == ""
    assert len(slack.calls_to("conversations.create")) == 3
    assert len([c for c in slack.channels.values() if c.name.startswith(f"inc-{incident.pk}-")]) == 1
    assert len(slack.calls_to("chat.postMessage")) == 1


def test_a_permanent_failure_is_recorded_and_the_incident_goes_on(slack, client, admin_user):
    slack.fail_all("conversations.create", "restricted_action")
    incident = declare(Actor(user=admin_user, via="web"))
    row = IncidentChannel.objects.get(incident=incident)
    assert row.channel_id == ""
    assert "restricted_action" in row.problem
    assert len(slack.calls_to("conversations.create")) == 1
    services.do_acknowledge(Actor(user=admin_user, via="web"), incident)
    assert Incident.objects.get(pk=incident.pk).status == "acknowledged"
    client.force_login(admin_user)
    page = client.get(incident.get_absolute_url())
    assert page.status_code == 200
    assert "restricted_action" in page.content.decode()


def test_slack_unreachable_is_retried_then_given_up(slack, settings, admin_user):
    settings.SLACK_API_URL = "http://127.0.0.1:9/api/"  # nothing listens on the discard port
    incident = declare(Actor(user=admin_user, via="web"))
    row = IncidentChannel.objects.get(incident=incident)
    assert row.channel_id == "" and "could not be reached" in row.problem


def resolved_incident(slack, admin_user, hours_ago):
    incident = declare(Actor(user=admin_user, via="web"))
    services.do_resolve(Actor(user=admin_user, via="web"), incident)
    Incident.objects.filter(pk=incident.pk).update(resolved_at=timezone.now() - timedelta(hours=hours_ago))
    return IncidentChannel.objects.get(incident=incident)


def test_channels_are_archived_hours_after_resolution(slack, settings, admin_user):
    settings.VIGIL_SLACK_ARCHIVE_AFTER_HOURS = 4
    old = resolved_incident(slack, admin_user, hours_ago=5)
    recent = resolved_incident(slack, admin_user, hours_ago=1)
    assert channels.archive_due() == 1
    assert slack.channel_named(old.name)["is_archived"]
    assert "archiving this channel" in slack.messages(old.channel_id)[-1]["text"]
    assert not slack.channel_named(recent.name)["is_archived"]
    assert IncidentChannel.objects.get(pk=old.pk).archived_at is not None
    assert channels.archive_due() == 0


def test_no_archiving_when_hours_is_zero_or_the_incident_reopened(slack, settings, admin_user):
    settings.VIGIL_SLACK_ARCHIVE_AFTER_HOURS = 0
    row = resolved_incident(slack, admin_user, hours_ago=500)
    assert channels.archive_due() == 0
    settings.VIGIL_SLACK_ARCHIVE_AFTER_HOURS = 1
    services.do_reopen(Actor(user=admin_user, via="web"), row.incident)
    assert channels.archive_due() == 0
    assert not slack.channel_named(row.name)["is_archived"]
