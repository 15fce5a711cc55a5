"""`/vigil` commands act as the Slack user through the dashboard's actions (issue #18): the audit log
says via=slack, role rules apply as on the web, and every queued reply reaches the response_url."""

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from chat.models import IncidentChannel
from chat.slack.actions import incident_buttons
from incidents import services
from incidents.models import Incident, IncidentEvent, Page, Rotation, RotationMember, Schedule, Status
from vigil.audit import SYSTEM
from vigil.models import AuditEntry

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_celery")]

CHANNELS = itertools.count(1)


def incident(title="Checkout errors", **kwargs):
    found, _ = services.do_declare(SYSTEM, title=title, paging=False, **kwargs)
    return found


def channel_for(found) -> str:
    channel_id = f"CINC{next(CHANNELS):05d}"
    IncidentChannel.objects.create(incident=found, channel_id=channel_id, name=f"inc-{found.pk}")
    return channel_id


def last_reply(slack, count=1):
    return slack.wait_for_responses(count)[-1].json


@pytest.fixture
def rita(slack, responder):
    slack.add_user("U100", responder.email)
    return responder


def test_ack_in_an_incident_channel_acknowledges_it_as_the_user_via_slack(slack, slack_sender, rita):
    found = incident()
    assert slack_sender.command("ack", channel=channel_for(found)).status_code == 200
    found.refresh_from_db()
    assert found.status == Status.ACKNOWLEDGED and found.acknowledged_by == rita
    entry = AuditEntry.objects.get(action="incident.acknowledge")
    assert entry.via == "slack" and entry.actor == rita
    reply = last_reply(slack)
    assert reply["response_type"] == "in_channel" and "<@U100> acknowledged" in reply["text"]


def test_ack_with_a_number_outside_a_channel_is_told_to_the_user_alone(slack, slack_sender, rita):
    found = incident()
    slack_sender.command(f"ack #{found.pk}")
    assert Incident.objects.get(pk=found.pk).status == Status.ACKNOWLEDGED
    assert last_reply(slack)["response_type"] == "ephemeral"


def test_ack_outside_a_channel_without_a_number_offers_a_menu_and_choosing_acknowledges(slack, slack_sender, rita):
    older, newer = incident("Older"), incident("Newer")
    slack_sender.command("ack")
    menu = last_reply(slack)
    select = menu["blocks"][0]["accessory"]
    assert select["action_id"] == "pick:ack"
    assert [o["value"] for o in select["options"]] == [str(newer.pk), str(older.pk)]
    slack_sender.interaction(
        {
            "type": "block_actions",
            "user": {"id": "U100"},
            "channel": {"id": "C999"},
            "actions": [
                {"action_id": "pick:ack", "type": "static_select", "selected_option": {"value": str(older.pk)}}
            ],
        }
    )
    assert Incident.objects.get(pk=older.pk).status == Status.ACKNOWLEDGED
    assert Incident.objects.get(pk=newer.pk).status == Status.TRIGGERED
    assert "acknowledged" in last_reply(slack, 2)["text"]


def test_an_unknown_or_resolved_incident_number_is_said_plainly(slack, slack_sender, rita):
    slack_sender.command("ack 99999")
    assert "no incident #99999" in last_reply(slack)["text"]
    done = incident()
    services.do_resolve(SYSTEM, done)
    slack_sender.command(f"ack #{done.pk}")
    assert "is resolved" in last_reply(slack, 2)["text"]


def test_status_monitoring_moves_the_incident(slack, slack_sender, rita):
    found = incident()
    slack_sender.command("status monitoring", channel=channel_for(found))
    assert Incident.objects.get(pk=found.pk).status == Status.MONITORING
    assert "monitoring" in last_reply(slack)["text"]


def test_status_nonsense_lists_the_valid_statuses(slack, slack_sender, rita):
    found = incident()
    slack_sender.command("status nonsense", channel=channel_for(found))
    text = last_reply(slack)["text"]
    assert "`nonsense` is not a status" in text and "`monitoring`" in text and "`identified`" in text
    assert Incident.objects.get(pk=found.pk).status == Status.TRIGGERED


def test_note_adds_an_internal_note(slack, slack_sender, rita):
    found = incident()
    slack_sender.command("note 3 pods restarted", channel=channel_for(found))
    event = IncidentEvent.objects.get(incident=found, kind=IncidentEvent.Kind.NOTE)
    assert event.message == "3 pods restarted" and event.actor == rita
    assert AuditEntry.objects.get(action="incident.note").via == "slack"


def test_role_commander_with_a_mention_names_the_mentioned_user(slack, slack_sender, rita, admin_user):
    slack.add_user("U200", admin_user.email)
    found = incident()
    slack_sender.command("role commander <@U200|alice>", channel=channel_for(found))
    assert Incident.objects.get(pk=found.pk).commander == admin_user
    assert "incident commander" in last_reply(slack)["text"]


def test_page_a_mentioned_user_pages_them(slack, slack_sender, rita, admin_user):
    slack.add_user("U200", admin_user.email)
    found = incident()
    slack_sender.command("page <@U200>", channel=channel_for(found))
    page = Page.objects.get(incident=found)
    assert page.user == admin_user
    assert AuditEntry.objects.get(action="incident.page_users").via == "slack"
    assert "paged alice-admin" in last_reply(slack)["text"]


def test_resolve_resolves(slack, slack_sender, rita):
    found = incident()
    slack_sender.command("resolve", channel=channel_for(found))
    assert Incident.objects.get(pk=found.pk).status == Status.RESOLVED
    assert AuditEntry.objects.get(action="incident.resolve").via == "slack"


def test_oncall_lists_who_is_on_call(slack, slack_sender, rita):
    schedule = Schedule.objects.create(name="Platform")
    rotation = Rotation.objects.create(schedule=schedule, starts_at=timezone.now() - timedelta(days=1))
    RotationMember.objects.create(rotation=rotation, user=rita, position=0)
    slack_sender.command("oncall")
    text = last_reply(slack)["text"]
    assert "*Platform*" in text and "rita-responder" in text


def test_a_viewer_cannot_acknowledge(slack, slack_sender, viewer, eager_celery, django_capture_on_commit_callbacks):
    slack.add_user("U300", viewer.email)
    found = incident()
    with django_capture_on_commit_callbacks(execute=True):
        assert slack_sender.command(f"ack #{found.pk}", user="U300").content == b""  # queued: checked by the worker
    reply = slack.wait_for_responses(1)[-1].json
    assert "cannot do that" in reply["text"] and reply["response_type"] == "ephemeral"
    assert Incident.objects.get(pk=found.pk).status == Status.TRIGGERED


def test_the_card_buttons_ack_and_resolve(slack, slack_sender, rita):
    found = incident()
    channel = channel_for(found)
    ids = [b["action_id"] for b in incident_buttons(found)]
    assert ids == [f"{name}:{found.pk}" for name in ("ack", "status", "update", "page", "resolve")]
    slack_sender.button(f"ack:{found.pk}", str(found.pk), channel=channel)
    assert Incident.objects.get(pk=found.pk).status == Status.ACKNOWLEDGED
    reply = last_reply(slack)
    assert reply["replace_original"] is False and reply["response_type"] == "in_channel"
    slack_sender.button(f"resolve:{found.pk}", str(found.pk), channel=channel)
    assert "resolved" in last_reply(slack, 2)["text"]
    assert Incident.objects.get(pk=found.pk).status == Status.RESOLVED


def test_help_lists_every_command(slack, slack_sender, rita):
    text = slack_sender.command("help").json()["text"]
    for name in ("declare", "ack", "status", "update", "note", "role", "page", "resolve", "oncall", "help"):
        assert f"/vigil {name}" in text


def test_another_teams_incident_is_refused_by_command_and_by_button_saying_whose(slack, slack_sender, rita):
    """Slack asks vigil.ownership as the dashboard does: Search's responder cannot work Payments' incident."""
    from incidents.models import Component, Team

    payments, search = Team.objects.create(name="Payments"), Team.objects.create(name="Search")
    search.members.add(rita)
    found = incident(components=[Component.objects.create(name="Checkout", owner_team=payments)])

    slack_sender.command(f"ack #{found.pk}")
    reply = last_reply(slack)
    assert "cannot act on" in reply["text"] and "team Payments" not in reply["text"]
    assert "Only the teams this incident concerns" in reply["text"]
    slack_sender.button(f"resolve:{found.pk}", str(found.pk), channel=channel_for(found))
    assert "cannot act on" in last_reply(slack, 2)["text"]
    assert Incident.objects.get(pk=found.pk).status == Status.TRIGGERED

    payments.members.add(rita)
    slack_sender.command(f"ack #{found.pk}")
    assert Incident.objects.get(pk=found.pk).status == Status.ACKNOWLEDGED
