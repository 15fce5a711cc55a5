"""The pinned card follows the incident from every path and is edited only when what it shows
changed; a marked message in an incident channel is copied to the timeline with its author, once."""

import uuid

import pytest

from chat.models import IncidentChannel
from chat.slack import card
from incidents import services
from incidents.models import Incident, IncidentEvent
from vigil.audit import Actor

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_celery")]


@pytest.fixture
def channel(slack, admin_user):
    incident, _ = services.do_declare(Actor(user=admin_user, via="web"), title="Checkout errors", severity="sev1")
    return IncidentChannel.objects.get(incident=incident)


def shown(slack, row) -> dict:
    return next(m for m in slack.messages(row.channel_id) if m["ts"] == row.card_ts)


def action_ids(message) -> list[str]:
    return [e["action_id"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]


def test_the_card_has_the_buttons_of_a_triggered_incident(slack, channel):
    pk = channel.incident_id
    assert action_ids(shown(slack, channel)) == [
        f"ack:{pk}",
        f"status:{pk}",
        f"update:{pk}",
        f"page:{pk}",
        f"resolve:{pk}",
    ]


def test_acknowledging_on_the_web_edits_the_card_and_an_unseen_change_does_not(slack, channel, admin_user):
    services.do_acknowledge(Actor(user=admin_user, via="web"), channel.incident)
    assert len(slack.calls_to("chat.update")) == 1
    message = shown(slack, channel)
    assert "Acknowledged" in str(message["blocks"])
    assert f"ack:{channel.incident_id}" not in action_ids(message)

    incident = Incident.objects.get(pk=channel.incident_id)
    incident.save()  # nothing the card shows changed
    assert len(slack.calls_to("chat.update")) == 1


def test_resolving_removes_the_buttons(slack, channel, admin_user):
    services.do_resolve(Actor(user=admin_user, via="api"), channel.incident)
    message = shown(slack, channel)
    assert action_ids(message) == []
    assert f"Resolved by {admin_user.username}" in str(message["blocks"])


def test_a_gone_channel_is_recorded_and_no_longer_followed(slack, channel, admin_user):
    slack.fail_all("chat.update", "channel_not_found")
    services.do_acknowledge(Actor(user=admin_user, via="web"), channel.incident)
    row = IncidentChannel.objects.get(pk=channel.pk)
    assert "channel_not_found" in row.problem and row.archived_at is not None
    calls = len(slack.calls_to("chat.update"))
    services.do_resolve(Actor(user=admin_user, via="web"), channel.incident)
    assert len(slack.calls_to("chat.update")) == calls == 1


def test_a_deleted_card_is_posted_again(slack, channel, admin_user):
    slack.fail_next("chat.update", "message_not_found")
    services.do_acknowledge(Actor(user=admin_user, via="web"), channel.incident)
    row = IncidentChannel.objects.get(pk=channel.pk)
    assert row.card_ts != channel.card_ts
    assert row.card_ts in slack.pins(row.channel_id)
    assert "Acknowledged" in str(shown(slack, row)["blocks"])


def test_the_fingerprint_ignores_nothing_shown():
    incident = Incident(pk=5, title="x", severity="sev2")
    assert card.fingerprint(incident, [{"a": 1}]) == card.fingerprint(incident, [{"a": 1}])
    assert card.fingerprint(incident, [{"a": 1}]) != card.fingerprint(incident, [{"a": 2}])


def react(slack_sender, channel_id, ts, user="U100", reaction="pushpin"):
    return slack_sender.event(
        {
            "type": "reaction_added",
            "user": user,
            "reaction": reaction,
            "item": {"type": "message", "channel": channel_id, "ts": ts},
        },
        event_id=f"Ev{uuid.uuid4().hex}",  # the file cache remembers event ids across runs
    )


def notes(incident_id):
    return list(
        IncidentEvent.objects.filter(incident_id=incident_id, kind="note").exclude(message="War room links changed")
    )


def test_a_marked_message_is_copied_to_the_timeline_with_its_author_once(
    slack, slack_sender, channel, responder, admin_user
):
    slack.add_user("U100", responder.email)
    slack.add_user("U200", admin_user.email)
    ts = slack.post_user_message(channel.channel_id, "U200", "Rolled back the deploy")
    assert react(slack_sender, channel.channel_id, ts).status_code == 200
    assert react(slack_sender, channel.channel_id, ts).status_code == 200  # marked again
    [note] = notes(channel.incident_id)
    assert note.message == "Rolled back the deploy"
    assert note.actor == admin_user


def test_an_unlinked_author_is_named_in_the_note(slack, slack_sender, channel, responder):
    slack.add_user("U100", responder.email)
    slack.add_user("U900", "stranger@elsewhere.example", name="sam")
    ts = slack.post_user_message(channel.channel_id, "U900", "DB failover done")
    react(slack_sender, channel.channel_id, ts)
    [note] = notes(channel.incident_id)
    assert note.message == "sam (in Slack): DB failover done"
    assert note.actor is None and note.actor_label == "slack"


def test_reactions_elsewhere_or_others_or_on_the_card_do_nothing(slack, slack_sender, channel, responder):
    slack.add_user("U100", responder.email)
    other = slack.add_channel("random", members=("U100",))
    ts = slack.post_user_message(other, "U100", "lunch?")
    react(slack_sender, other, ts)
    mine = slack.post_user_message(channel.channel_id, "U100", "checking")
    react(slack_sender, channel.channel_id, mine, reaction="eyes")
    react(slack_sender, channel.channel_id, channel.card_ts)
    assert notes(channel.incident_id) == []
