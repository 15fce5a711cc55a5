"""Every request from Slack is verified before anything is done, and who the Slack user is decides what
they may do (issue #18): forged, stale and replayed requests get 401 and change nothing."""

import json
import time
import uuid
from urllib.parse import urlencode

import pytest

from chat.models import SlackIdentity
from tests.chat.conftest import signed_headers

pytestmark = pytest.mark.django_db

HELP = urlencode({"user_id": "U100", "team_id": "T0001", "text": "help", "trigger_id": "t"}).encode()


def post_command(client, body: bytes, **headers):
    return client.post("/chat/slack/commands", data=body, content_type="application/x-www-form-urlencoded", **headers)


def test_a_correctly_signed_command_is_answered(client, slack, responder):
    slack.add_user("U100", responder.email)
    answer = post_command(client, HELP, **signed_headers(HELP))
    assert answer.status_code == 200
    assert "/vigil help" in answer.json()["text"]


@pytest.mark.parametrize(
    "make_headers",
    [
        lambda: {},  # unsigned
        lambda: signed_headers(HELP, secret="not-the-secret"),  # forged
        lambda: signed_headers(HELP, timestamp=int(time.time()) - 301),  # older than 5 minutes
        lambda: signed_headers(HELP, timestamp=int(time.time()) + 301),  # from the future
        lambda: {**signed_headers(HELP), "HTTP_X_SLACK_SIGNATURE": "v0=" + "0" * 64},
    ],
    ids=["unsigned", "forged", "stale", "future", "wrong-digest"],
)
def test_unsigned_forged_and_stale_requests_get_401(client, slack, make_headers):
    # Signed when the test runs, not when it is collected: the time is part of what is checked.
    assert post_command(client, HELP, **make_headers()).status_code == 401


def test_a_replayed_request_gets_401_and_does_nothing(client, slack, responder):
    slack.add_user("U100", responder.email)
    body = urlencode({"user_id": "U100", "team_id": "T0001", "text": "help"}).encode()
    headers = signed_headers(body)
    assert post_command(client, body, **headers).status_code == 200
    assert post_command(client, body, **headers).status_code == 401


def test_a_body_changed_after_signing_gets_401(client, slack):
    headers = signed_headers(HELP)
    assert post_command(client, HELP.replace(b"help", b"resolve"), **headers).status_code == 401


def test_without_slack_configured_the_urls_say_so_with_404(client):
    assert post_command(client, HELP, **signed_headers(HELP)).status_code == 404


def test_url_verification_echoes_the_challenge_only_when_signed(client, slack):
    challenge = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    body = json.dumps({"type": "url_verification", "challenge": challenge}).encode()
    answer = client.post("/chat/slack/events", data=body, content_type="application/json", **signed_headers(body))
    assert answer.json() == {"challenge": challenge}
    forged = client.post(
        "/chat/slack/events", data=body, content_type="application/json", **signed_headers(body, secret="x")
    )
    assert forged.status_code == 401


def test_a_slack_user_is_matched_to_the_vigil_user_with_their_email_once(client, slack, slack_sender, responder):
    slack.add_user("U100", responder.email.upper())
    assert "/vigil help" in slack_sender.command("help").json()["text"]
    identity = SlackIdentity.objects.get(slack_user_id="U100")
    assert identity.user == responder and identity.linked_by == "email"
    slack_sender.command("help")
    assert len(slack.calls_to("users.info")) == 1  # remembered: asked once


def test_an_unmatched_slack_user_is_told_why_and_given_a_link_that_links_them(client, slack, slack_sender, responder):
    slack.add_user("U200", "someone-else@example.com")
    answer = slack_sender.command("help", user="U200").json()
    assert answer["response_type"] == "ephemeral"
    assert "no single active Vigil user has the email someone-else@example.com" in answer["text"]
    link = answer["text"].split("Link it here (valid for an hour): ")[1].split()[0]
    path = link.split("127.0.0.1:8000", 1)[-1] if "127.0.0.1:8000" in link else link[link.index("/chat/") :]
    assert client.get(path).status_code == 302  # sign in first
    client.force_login(responder)
    assert "will act as you" in client.get(path).content.decode()
    assert SlackIdentity.objects.count() == 0  # a GET links nothing
    assert client.post(path).status_code == 200
    assert SlackIdentity.objects.get(slack_user_id="U200").user == responder
    assert "/vigil help" in slack_sender.command("help", user="U200").json()["text"]


def test_a_deactivated_user_is_refused_from_slack(client, slack, slack_sender, responder):
    slack.add_user("U100", responder.email)
    slack_sender.command("help")
    responder.is_active = False
    responder.save()
    assert "deactivated" in slack_sender.command("help").json()["text"]


def test_a_tampered_link_links_nobody(client, responder):
    client.force_login(responder)
    answer = client.post("/chat/slack/link/not-a-signed-token")
    assert answer.status_code == 400 and SlackIdentity.objects.count() == 0


def test_an_event_slack_retries_is_taken_once(client, slack, slack_sender, monkeypatch):
    queued = []
    monkeypatch.setattr("chat.slack.views.enqueue", lambda name, *args, **kw: queued.append(args))
    from chat.slack.dispatch import EVENTS, Handler

    monkeypatch.setitem(EVENTS, "reaction_added", Handler(name="reaction_added", run=lambda r: None, needs_user=False))
    event = {"type": "reaction_added", "user": "U100", "reaction": "pushpin", "item": {"channel": "C1", "ts": "1.0"}}
    event_id = f"Ev{uuid.uuid4().hex}"  # the cache outlives a test run
    assert slack_sender.event(event, event_id=event_id).status_code == 200
    retry = slack_sender.event(event, event_id=event_id, timestamp=int(time.time()) + 1)  # Slack's retry: same id
    assert retry.status_code == 200
    assert len(queued) == 1


def test_a_viewer_submitting_a_declare_form_sees_why_in_the_form_and_nothing_is_created(slack, slack_sender, viewer):
    from incidents.models import Incident

    slack.add_user("U300", viewer.email)
    values = {"title": {"value": {"type": "plain_text_input", "value": "Checkout errors"}}}
    answer = slack_sender.submit("declare", values, user="U300").json()
    assert answer["response_action"] == "update"
    assert "your Vigil role is viewer" in answer["view"]["blocks"][0]["text"]["text"]
    assert not Incident.objects.exists()


def test_a_refused_button_press_is_answered_at_its_response_url_without_replacing_the_message(
    slack, slack_sender, viewer, eager_celery, django_capture_on_commit_callbacks
):
    slack.add_user("U300", viewer.email)
    with django_capture_on_commit_callbacks(execute=True):
        # Slack ignores the body of the answer to a button press: the reply goes to its response_url.
        assert slack_sender.button("ack:1", value="1", user="U300").content == b""
    reply = slack.wait_for_responses(1)[-1].json
    assert reply["replace_original"] is False and "your Vigil role is viewer" in reply["text"]
