"""Issue #18 end to end, with a real Celery worker (a thread of this process, consuming from Redis)
talking over HTTP to the fake Slack (tests/chat/slack_fake.py):

- `/vigil declare` → a modal → a SEV1 → the incident's channel created, the declarer and the paged
  responder invited, the card posted and pinned; the page goes out on comms' page lane as a Slack DM
  with an Acknowledge button;
- the incident changed by another path (the REST API) → the card is edited in place;
- the DM's Acknowledge pressed → the incident acknowledged as that responder (audited via slack), the
  escalation stopped, the DM edited to say who acknowledged, the card edited;
- Slack answering `ratelimited` or not answering at all → the incident is declared and worked at once,
  and the channel follows when Slack is back (or the row says why not).

No sleeping for the worker: the fake's wait_for, or `eventually` polling the database.
"""

import socket
import time
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from chat.models import IncidentChannel, SlackIdentity, SlackMessage
from comms.models import NotificationRule
from incidents import escalation
from incidents.models import (
    Component,
    EscalationLevel,
    EscalationPolicy,
    Incident,
    Integration,
    Page,
    SeverityDefinition,
    Status,
)
from tests.conftest import api_client_for
from tests.integrations.conftest import payload, post
from vigil.models import AuditEntry

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

DECLARER, RESPONDER = "U100", "U200"
WAIT = 15  # seconds: generous for a loaded machine; each step takes well under one


def eventually(check, timeout: float = WAIT, what: str = "the condition"):
    """CHECK()'s first truthy answer, polled every 20 ms; AssertionError after TIMEOUT seconds."""
    deadline = time.monotonic() + timeout
    while not (answer := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached after {timeout}s")
        time.sleep(0.02)
    return answer


@pytest.fixture
def people(slack, admin_user, responder):
    """The declarer (an admin, Slack U100) and a responder paged by Slack DM (Slack U200)."""
    for slack_id, user in ((DECLARER, admin_user), (RESPONDER, responder)):
        slack.add_user(slack_id, user.email)
        SlackIdentity.objects.create(user=user, slack_user_id=slack_id, linked_by="email")
    NotificationRule.objects.create(user=responder, medium="slack_dm", delay_minutes=0)
    return admin_user, responder


@pytest.fixture
def sev1_pages_the_responder(people):
    """SEV1's default policy: the responder first, then the admin 5 minutes later."""
    admin, responder = people
    policy = EscalationPolicy.objects.create(name="Platform", repeat=0)
    EscalationLevel.objects.create(policy=policy, position=0, timeout_minutes=5).users.add(responder)
    EscalationLevel.objects.create(policy=policy, position=1, timeout_minutes=5).users.add(admin)
    SeverityDefinition.objects.update_or_create(
        level="sev1", defaults={"name": "Critical", "description": "Customers cannot pay.", "escalation_policy": policy}
    )
    return policy


def declare_values(title: str, severity: str = "sev1") -> dict:
    return {
        "title": {"value": {"type": "plain_text_input", "value": title}},
        "severity": {"value": {"type": "static_select", "selected_option": {"value": severity}}},
        "summary": {"value": {"type": "plain_text_input", "value": "Card payments fail."}},
    }


def card(slack, row: IncidentChannel) -> dict:
    """The incident's card as Slack now holds it."""
    return next(m for m in slack.messages(row.channel_id) if m["ts"] == row.card_ts)


def card_says(slack, row: IncidentChannel, words: str) -> bool:
    return words in str(card(slack, row)["blocks"])


def test_declare_in_slack_page_by_dm_acknowledge_by_button(
    celery_worker, slack, slack_sender, people, sev1_pages_the_responder
):
    admin, responder = people

    # /vigil declare opens the modal while Slack waits; its submission declares a SEV1.
    assert slack_sender.command("declare", user=DECLARER).status_code == 200
    assert slack.wait_for("views.open")[0].json_arg("view")["callback_id"] == "declare"
    answer = slack_sender.submit("declare", declare_values("Checkout errors"), user=DECLARER)
    assert answer.status_code == 200 and answer.json() == {"response_action": "clear"}
    incident = Incident.objects.get(title="Checkout errors")
    assert (incident.severity, incident.created_by) == ("sev1", admin)
    assert AuditEntry.objects.filter(action="incident.declare", via="slack").exists()

    # The worker: the channel, its people, its card pinned.
    created = slack.wait_for("conversations.create", timeout=WAIT)[0]
    assert created.args["name"] == f"inc-{incident.pk}-checkout-errors"
    slack.wait_for("pins.add", timeout=WAIT)
    row = eventually(lambda: IncidentChannel.objects.filter(incident=incident).exclude(card_ts="").first())
    assert slack.pins(row.channel_id) == [row.card_ts]
    assert "Checkout errors" in str(card(slack, row)["blocks"])
    eventually(lambda: {DECLARER, RESPONDER} <= set(slack.members(row.channel_id)), what="both invited")
    eventually(lambda: Incident.objects.get(pk=incident.pk).chat_url.endswith(row.channel_id), what="chat_url")

    # The page: a DM to the responder's Slack id, sent on the page lane, with Acknowledge.
    page = eventually(lambda: Page.objects.filter(incident=incident, user=responder).first(), what="the page")
    dm = eventually(
        lambda: next((c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == RESPONDER), None),
        what="the page's DM",
    )
    buttons = [e["action_id"] for e in dm.json_arg("blocks")[1]["elements"]]
    assert f"page_ack:{page.pk}" in buttons
    message = eventually(lambda: SlackMessage.objects.filter(page=page).first(), what="the DM recorded")

    # Another path (the REST API) changes the incident: the card is edited in place.
    api = api_client_for(admin)
    assert api.post(f"/api/v1/incidents/{incident.pk}/severity/", {"severity": "sev2"}).status_code == 200
    eventually(lambda: card_says(slack, row, "SEV2"), what="the card showing SEV2")
    assert slack.pins(row.channel_id) == [row.card_ts]  # the same message, edited: no second card

    # The responder presses Acknowledge in the DM.
    escalation_id = str(Incident.objects.get(pk=incident.pk).escalation_id)
    assert slack_sender.button(f"page_ack:{page.pk}", user=RESPONDER, channel=message.channel_id).status_code == 200
    incident = eventually(
        lambda: Incident.objects.filter(pk=incident.pk, status=Status.ACKNOWLEDGED).first(), what="acknowledged"
    )
    assert incident.acknowledged_by == responder
    assert AuditEntry.objects.filter(action__contains="ack", via="slack", actor=responder).exists()
    reply = slack.wait_for_responses(timeout=WAIT)[-1].json
    assert "Paging has stopped" in reply["text"]

    # Paging stopped: no step left, the queued next level finds the escalation over, nobody more paged.
    assert incident.escalation_id is None
    assert not escalation.run_queued_step(incident.pk, escalation_id, 1)
    assert escalation.run_due(now=timezone.now() + timedelta(hours=1)) == 0
    assert list(Page.objects.filter(incident=incident).values_list("user", flat=True)) == [responder.pk]

    # The DM says who acknowledged, without buttons; the card too.
    edited = eventually(
        lambda: next((m for m in slack.messages(message.channel_id) if m["ts"] == message.ts and "edited" in m), None),
        what="the DM edited",
    )
    assert "Acknowledged by" in edited["text"]
    assert all(block["type"] != "actions" for block in edited["blocks"])
    eventually(lambda: card_says(slack, row, "Acknowledged"), what="the card showing Acknowledged")
    assert f"page_ack:{page.pk}" not in str(card(slack, row)["blocks"])


def test_ratelimited_the_incident_goes_on_and_the_channel_follows(celery_worker, slack, people):
    admin, _ = people
    slack.fail_next("conversations.create", "ratelimited", status=429, retry_after=1)
    api = api_client_for(admin)
    response = api.post("/api/v1/incidents/", {"title": "Queue backlog", "severity": "sev1"}, format="json")
    assert response.status_code == 201
    pk = response.json()["id"]

    # Slack said slow down: the row says so while the task waits for its Retry-After...
    slack.wait_for("conversations.create", timeout=WAIT)
    refused_at = time.monotonic()
    eventually(
        lambda: "rate limited" in IncidentChannel.objects.get(incident_id=pk).problem, what="the problem recorded"
    )
    # ...and the incident is worked meanwhile.
    assert api.post(f"/api/v1/incidents/{pk}/acknowledge/").status_code == 200
    assert IncidentChannel.objects.get(incident_id=pk).channel_id == ""

    # The retry makes the channel, once, with the card showing the present state.
    slack.wait_for("conversations.create", count=2, timeout=WAIT)
    assert time.monotonic() - refused_at >= 0.9  # Retry-After: 1 was honoured
    row = eventually(
        lambda: IncidentChannel.objects.filter(incident_id=pk, problem="").exclude(card_ts="").first(),
        what="the channel set up",
    )
    assert len(slack.calls_to("conversations.create")) == 2
    assert slack.pins(row.channel_id) == [row.card_ts]
    eventually(lambda: card_says(slack, row, "Acknowledged"), what="the card showing Acknowledged")


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_slack_unreachable_declaring_is_not_held_up(celery_worker, slack, people, settings):
    admin, _ = people
    settings.SLACK_API_URL = f"http://127.0.0.1:{closed_port()}/api/"
    api = api_client_for(admin)
    started = time.monotonic()
    response = api.post("/api/v1/incidents/", {"title": "Slack is down too", "severity": "sev1"}, format="json")
    assert response.status_code == 201
    assert time.monotonic() - started < 2
    pk = response.json()["id"]

    row = eventually(
        lambda: IncidentChannel.objects.filter(incident_id=pk, problem__contains="could not be reached").first(),
        what="the problem recorded",
    )
    assert row.channel_id == "" and "trying again" in row.problem
    assert api.post(f"/api/v1/incidents/{pk}/acknowledge/").status_code == 200
    assert Incident.objects.get(pk=pk).status == Status.ACKNOWLEDGED

    # Slack is back: the task's next try (a 2 s back-off) sets the channel up; nothing was lost.
    settings.SLACK_API_URL = slack.base_url
    row = eventually(
        lambda: IncidentChannel.objects.filter(incident_id=pk, problem="").exclude(card_ts="").first(),
        what="the channel set up once Slack is back",
    )
    assert slack.pins(row.channel_id) == [row.card_ts]
    assert card_says(slack, row, "Acknowledged")


def test_an_alert_opens_a_channel_and_resolving_it_edits_the_card(celery_worker, slack, people):
    """An Alertmanager alert opens a SEV1 (a channel, from any source), and its resolution, which
    resolves the incident, edits the card: the card follows alerts as it follows people."""
    api_component = Component.objects.create(name="Payments API")
    integration = Integration.objects.create(kind=Integration.Kind.ALERTMANAGER, name="Prometheus")
    integration.components.set([api_component])
    firing = payload("alertmanager", "firing")
    firing["alerts"][0]["fingerprint"] = fingerprint = uuid.uuid4().hex[:16]
    firing["groupKey"] = group = f'{{}}:{{alertname="E2E{fingerprint}"}}'
    assert post(integration, firing).status_code == 200
    incident = Incident.objects.get(source="alert")
    assert incident.severity == "sev1"

    row = eventually(
        lambda: IncidentChannel.objects.filter(incident=incident).exclude(card_ts="").first(), what="the channel"
    )
    assert card_says(slack, row, "Payments API")
    resolved = payload("alertmanager", "firing")
    resolved["alerts"][0]["fingerprint"], resolved["groupKey"] = fingerprint, group
    resolved["status"] = resolved["alerts"][0]["status"] = "resolved"
    resolved["alerts"][0]["endsAt"] = timezone.now().isoformat()
    assert post(integration, resolved).status_code == 200
    assert Incident.objects.get(pk=incident.pk).status == Status.RESOLVED
    eventually(lambda: card_says(slack, row, "Resolved by"), what="the card showing the resolution")
