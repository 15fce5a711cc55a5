"""The Slack app's tests: a fake Slack Web API (slack_fake.py) and requests signed as Slack signs them."""

import hashlib
import hmac
import json
import time
from urllib.parse import urlencode

import pytest

from tests.chat.slack_fake import FakeSlack

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TOKEN = "xoxb-test-token"


@pytest.fixture
def slack(settings):
    """A running fake Slack, and Vigil configured to use it."""
    fake = FakeSlack(token=TOKEN).start()
    settings.SLACK_BOT_TOKEN = TOKEN
    settings.SLACK_SIGNING_SECRET = SIGNING_SECRET
    settings.SLACK_API_URL = fake.base_url
    yield fake
    fake.stop()


def signature(body: bytes, timestamp: int, secret: str = SIGNING_SECRET) -> str:
    """Slack's v0 signature: HMAC-SHA256 of "v0:{timestamp}:{body}" with the signing secret."""
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(body: bytes, timestamp: int | None = None, secret: str = SIGNING_SECRET) -> dict:
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        "HTTP_X_SLACK_REQUEST_TIMESTAMP": str(timestamp),
        "HTTP_X_SLACK_SIGNATURE": signature(body, timestamp, secret),
    }


class SlackSender:
    """Posts to Vigil what Slack posts, signed: slash commands, interactions and events."""

    def __init__(self, client, fake):
        self.client = client
        self.fake = fake
        self.counter = 0

    def _post(self, path: str, body: bytes, content_type: str, timestamp: int | None = None):
        return self.client.post(path, data=body, content_type=content_type, **signed_headers(body, timestamp))

    def command(self, text: str, user: str = "U100", channel: str = "C999", **extra):
        self.counter += 1
        fields = {
            "token": "deprecated",
            "team_id": self.fake.team_id,
            "channel_id": channel,
            "user_id": user,
            "command": "/vigil",
            "text": text,
            "response_url": self.fake.response_url(f"cmd{self.counter}"),
            "trigger_id": f"trigger.{self.counter}",
            **extra,
        }
        return self._post("/chat/slack/commands", urlencode(fields).encode(), "application/x-www-form-urlencoded")

    def interaction(self, payload: dict):
        self.counter += 1
        payload = {
            "team": {"id": self.fake.team_id},
            "response_url": self.fake.response_url(f"act{self.counter}"),
            "trigger_id": f"trigger.{self.counter}",
            **payload,
        }
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return self._post("/chat/slack/interactions", body, "application/x-www-form-urlencoded")

    def button(self, action_id: str, value: str = "", user: str = "U100", channel: str = "C999", ts: str = ""):
        return self.interaction(
            {
                "type": "block_actions",
                "user": {"id": user},
                "channel": {"id": channel},
                "container": {"type": "message", "channel_id": channel, "message_ts": ts},
                "message": {"ts": ts},
                "actions": [{"action_id": action_id, "value": value, "type": "button"}],
            }
        )

    def submit(self, callback_id: str, values: dict, user: str = "U100", private_metadata: str = ""):
        return self.interaction(
            {
                "type": "view_submission",
                "user": {"id": user},
                "view": {
                    "id": "V1",
                    "callback_id": callback_id,
                    "private_metadata": private_metadata,
                    "state": {"values": values},
                },
            }
        )

    def event(self, event: dict, event_id: str | None = None, timestamp: int | None = None):
        self.counter += 1
        body = json.dumps(
            {
                "type": "event_callback",
                "team_id": self.fake.team_id,
                "event_id": event_id or f"Ev{self.counter:06d}",
                "event_time": int(time.time()),
                "event": event,
            }
        ).encode()
        return self._post("/chat/slack/events", body, "application/json", timestamp)


@pytest.fixture
def slack_sender(client, slack):
    return SlackSender(client, slack)
