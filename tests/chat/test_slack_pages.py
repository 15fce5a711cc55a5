"""A page as a Slack DM (issue #18): sent with Acknowledge and Escalate buttons to the person's Slack
user id, acted on as whoever presses (with the web's permission), and edited to say who acknowledged
whichever way the incident was acknowledged."""

import pytest

from chat.models import SlackIdentity, SlackMessage
from comms import outbox
from comms.models import Notification, NotificationRule, State
from incidents import paging
from incidents.models import Status
from incidents.services import do_acknowledge, do_declare
from vigil.audit import Actor
from vigil.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(admin_user):
    incident, _ = do_declare(Actor(user=admin_user, via="web"), title="Checkout errors", severity="sev1")
    return incident


@pytest.fixture
def rita(responder, slack):
    """Rita the responder, paged by Slack DM, linked to Slack user U100."""
    slack.add_user("U100", responder.email)
    SlackIdentity.objects.create(user=responder, slack_user_id="U100", linked_by="email")
    NotificationRule.objects.create(user=responder, medium="slack_dm", delay_minutes=0)
    return responder


@pytest.fixture
def page(rita, incident, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return paging.page(rita, incident)


def dm(slack):
    """The DM Vigil sent to U100, as Slack now holds it."""
    return slack.messages("U100")[-1]


def test_the_page_is_a_dm_with_acknowledge_and_escalate_buttons(page, slack, incident):
    row = Notification.objects.get(page=page, medium="slack_dm")
    assert (row.channel, row.destination) == ("slack_dm", "U100")
    assert paging.ACK_LINK not in row.body
    outbox.send_due("slack_dm")
    call = slack.calls_to("chat.postMessage")[-1]
    assert call.args["channel"] == "U100"
    assert incident.title in call.args["text"] and "/incidents/ack/" not in call.args["text"]
    buttons = {e["action_id"]: e for e in call.json_arg("blocks")[1]["elements"]}
    assert buttons[f"page_ack:{page.pk}"]["style"] == "primary"
    assert f"page_escalate:{page.pk}" in buttons
    assert buttons[f"page_open:{page.pk}"]["url"].endswith(incident.get_absolute_url())
    row.refresh_from_db()
    message = SlackMessage.objects.get(page=page)
    assert row.state == State.SENT and row.provider_id == f"{message.channel_id}:{message.ts}"


def test_pressing_acknowledge_acknowledges_as_them_and_edits_the_dm(
    page, slack, slack_sender, incident, eager_celery, django_capture_on_commit_callbacks
):
    outbox.send_due("slack_dm")
    with django_capture_on_commit_callbacks(execute=True):
        assert slack_sender.button(f"page_ack:{page.pk}", user="U100", channel="DU100").status_code == 200
    incident.refresh_from_db()
    assert incident.status == Status.ACKNOWLEDGED and incident.acknowledged_by == page.user
    assert incident.escalation_id is None  # paging stopped
    assert AuditEntry.objects.filter(via="slack", action__contains="ack").exists()
    edited = dm(slack)
    assert "Acknowledged by" in edited["text"] and "edited" in edited
    assert all(block["type"] != "actions" for block in edited["blocks"])


def test_acknowledging_on_the_web_edits_the_dm_too(
    page, slack, incident, admin_user, eager_celery, django_capture_on_commit_callbacks
):
    outbox.send_due("slack_dm")
    with django_capture_on_commit_callbacks(execute=True):
        do_acknowledge(Actor(user=admin_user, via="web"), incident)
    slack.wait_for("chat.update")
    assert "Acknowledged by" in dm(slack)["text"]


def test_a_viewer_pressing_is_refused_ephemerally(
    page, slack, slack_sender, viewer, incident, eager_celery, django_capture_on_commit_callbacks
):
    outbox.send_due("slack_dm")
    slack.add_user("U200", viewer.email)
    with django_capture_on_commit_callbacks(execute=True):
        slack_sender.button(f"page_ack:{page.pk}", user="U200", channel="DU100")
    reply = slack.wait_for_responses(1)[-1].json  # Slack ignores a button answer's body: the reply goes here
    assert reply["response_type"] == "ephemeral" and "cannot" in reply["text"] and reply["replace_original"] is False
    incident.refresh_from_db()
    assert incident.status == Status.TRIGGERED


def test_ratelimited_the_row_is_tried_again_after_retry_after(page, slack):
    slack.fail_next("chat.postMessage", "ratelimited", status=429, retry_after=30)
    outbox.send_due("slack_dm")
    row = Notification.objects.get(page=page, medium="slack_dm")
    assert row.state == State.QUEUED and row.attempts == 1 and "ratelimited" in row.error
    assert (row.next_attempt_at - row.claimed_at).total_seconds() >= 30
    assert not SlackMessage.objects.exists()


def test_an_unknown_slack_user_fails_for_good(page, slack):
    slack.fail_next("chat.postMessage", "user_not_found")
    outbox.send_due("slack_dm")
    row = Notification.objects.get(page=page, medium="slack_dm")
    assert row.state == State.FAILED and "user_not_found" in row.error


def test_a_person_not_linked_to_slack_gets_no_slack_row_and_the_rule_says_why(
    responder, slack, incident, django_capture_on_commit_callbacks
):
    from comms.rules_for import problem

    rule = NotificationRule.objects.create(user=responder, medium="slack_dm", delay_minutes=0)
    with django_capture_on_commit_callbacks(execute=True):
        page = paging.page(responder, incident)
    assert not Notification.objects.filter(page=page, medium="slack_dm").exists()
    assert problem(rule) == "not linked to Slack"


def test_without_slack_configured_no_slack_row(rita, incident, settings, django_capture_on_commit_callbacks):
    settings.SLACK_BOT_TOKEN = ""
    with django_capture_on_commit_callbacks(execute=True):
        page = paging.page(rita, incident)
    assert not Notification.objects.filter(page=page, medium="slack_dm").exists()
