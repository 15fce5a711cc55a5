"""The fake Slack answers the official slack_sdk WebClient as Slack does."""

import json

import pytest
import requests
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from tests.chat.slack_fake import FakeSlack


@pytest.fixture
def fake():
    fake = FakeSlack().start()
    yield fake
    fake.stop()


@pytest.fixture
def client(fake):
    return WebClient(token="xoxb-test", base_url=fake.base_url, timeout=5)


def slack_error(call) -> SlackApiError:
    with pytest.raises(SlackApiError) as raised:
        call()
    return raised.value


def test_it_creates_a_channel_once_and_then_says_the_name_is_taken(fake, client):
    channel = client.conversations_create(name="inc-42-db-down")["channel"]

    assert channel["id"].startswith("C")
    assert channel["name"] == "inc-42-db-down"
    assert channel["is_channel"] is True
    error = slack_error(lambda: client.conversations_create(name="inc-42-db-down"))
    assert error.response["error"] == "name_taken"
    assert error.response.status_code == 200


@pytest.mark.parametrize(
    ("name", "error"),
    [("Inc 42", "invalid_name_specials"), ("inc#42", "invalid_name_specials"), ("x" * 81, "invalid_name_maxlength")],
)
def test_it_refuses_channel_names_slack_refuses(client, name, error):
    assert slack_error(lambda: client.conversations_create(name=name)).response["error"] == error


def test_it_invites_members_and_refuses_only_when_all_are_in(fake, client):
    channel = client.conversations_create(name="inc-1")["channel"]["id"]

    client.conversations_invite(channel=channel, users=["U1", "U2"])
    client.conversations_invite(channel=channel, users="U2,U3")

    assert fake.members(channel) == ["UBOT", "U1", "U2", "U3"]
    assert client.conversations_members(channel=channel)["members"] == ["UBOT", "U1", "U2", "U3"]
    assert fake.calls_to("conversations.invite")[0].args["users"] == "U1,U2"
    already = slack_error(lambda: client.conversations_invite(channel=channel, users=["U1", "U3"]))
    assert already.response["error"] == "already_in_channel"
    missing = slack_error(lambda: client.conversations_invite(channel="CNOPE", users=["U1"]))
    assert missing.response["error"] == "channel_not_found"


def test_it_archives_a_channel_once(client):
    channel = client.conversations_create(name="inc-2")["channel"]["id"]

    client.conversations_archive(channel=channel)

    assert client.conversations_info(channel=channel)["channel"]["is_archived"] is True
    assert slack_error(lambda: client.conversations_archive(channel=channel)).response["error"] == "already_archived"


def test_it_posts_updates_and_fetches_one_message_by_ts(fake, client):
    channel = client.conversations_create(name="inc-3")["channel"]["id"]
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Triggered*"}}]

    first = client.chat_postMessage(channel=channel, text="Triggered", blocks=blocks)
    second = client.chat_postMessage(channel=channel, text="Second")
    client.chat_update(channel=channel, ts=first["ts"], text="Acknowledged", blocks=[])

    assert first["ts"] == "1700000000.000100"
    assert float(second["ts"]) > float(first["ts"])
    assert first["message"]["blocks"] == blocks
    assert fake.calls_to("chat.postMessage")[0].json_arg("blocks") == blocks
    one = client.conversations_history(channel=channel, latest=first["ts"], inclusive=True, limit=1)
    assert [m["text"] for m in one["messages"]] == ["Acknowledged"]
    newest_first = client.conversations_history(channel=channel)["messages"]
    assert [m["ts"] for m in newest_first] == [second["ts"], first["ts"]]
    assert [m["text"] for m in fake.messages(channel)] == ["Acknowledged", "Second"]
    unknown = slack_error(lambda: client.chat_update(channel=channel, ts="1.000000", text="x"))
    assert unknown.response["error"] == "message_not_found"


def test_it_threads_replies_and_stores_a_humans_message(fake, client):
    channel = client.conversations_create(name="inc-4")["channel"]["id"]
    parent = client.chat_postMessage(channel=channel, text="Incident opened")["ts"]

    client.chat_postMessage(channel=channel, text="Update", thread_ts=parent)
    human = fake.post_user_message(channel, "U1", "I'm on it")

    replies = client.conversations_replies(channel=channel, ts=parent)["messages"]
    assert [m["text"] for m in replies] == ["Incident opened", "Update"]
    history = client.conversations_history(channel=channel)["messages"]
    assert [(m["ts"], m["user"]) for m in history] == [(human, "U1"), (parent, "UBOT")]


def test_it_opens_a_stable_dm_for_a_user_id(fake, client):
    first = client.chat_postMessage(channel="U42", text="You are paged")
    second = client.chat_postMessage(channel="U42", text="Still paged")

    assert first["channel"].startswith("D")
    assert first["channel"] == second["channel"]
    assert [m["text"] for m in fake.messages("U42")] == ["You are paged", "Still paged"]


def test_it_looks_users_up_by_email(fake, client):
    fake.add_user("U1", "ada@example.com", name="ada", real_name="Ada Lovelace")

    user = client.users_lookupByEmail(email="ada@example.com")["user"]

    assert user["id"] == "U1"
    assert user["profile"]["email"] == "ada@example.com"
    assert client.users_info(user="U1")["user"]["real_name"] == "Ada Lovelace"
    missing = slack_error(lambda: client.users_lookupByEmail(email="bob@example.com"))
    assert missing.response["error"] == "users_not_found"
    assert slack_error(lambda: client.users_info(user="U9")).response["error"] == "user_not_found"


def test_it_refuses_a_wrong_or_missing_token(fake):
    wrong = WebClient(token="xoxb-wrong", base_url=fake.base_url)
    assert slack_error(wrong.auth_test).response["error"] == "invalid_auth"
    missing = requests.post(f"{fake.base_url}auth.test", timeout=5)
    assert missing.json() == {"ok": False, "error": "not_authed"}


def test_it_answers_auth_test(client):
    answer = client.auth_test()

    assert (answer["team_id"], answer["user_id"], answer["bot_id"]) == ("T0001", "UBOT", "BBOT")


def test_it_rate_limits_with_retry_after(fake, client):
    fake.fail_next("conversations.create", "ratelimited", status=429, retry_after=1)

    error = slack_error(lambda: client.conversations_create(name="inc-5"))

    assert error.response.status_code == 429
    assert error.response.headers["Retry-After"] == "1"
    assert error.response["error"] == "ratelimited"
    assert client.conversations_create(name="inc-5")["ok"] is True


def test_the_client_retries_a_rate_limit_once_and_succeeds(fake):
    client = WebClient(token="xoxb-test", base_url=fake.base_url)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
    fake.fail_next("chat.postMessage", "ratelimited", status=429, retry_after=0)

    answer = client.chat_postMessage(channel="U1", text="hello")

    assert answer["ok"] is True
    assert len(fake.calls_to("chat.postMessage")) == 2


def test_scripted_failures_are_per_method_and_fail_all_lasts_until_heal(fake, client):
    channel = client.conversations_create(name="inc-6")["channel"]["id"]
    ts = client.chat_postMessage(channel=channel, text="x")["ts"]
    fake.fail_next("chat.update", "channel_not_found")
    fake.fail_all("pins.add", "fatal_error", status=500)

    assert slack_error(lambda: client.chat_update(channel=channel, ts=ts, text="y")).response["error"] == (
        "channel_not_found"
    )
    assert client.chat_update(channel=channel, ts=ts, text="y")["ok"] is True
    for _ in range(2):
        assert slack_error(lambda: client.pins_add(channel=channel, timestamp=ts)).response.status_code == 500
    fake.heal()
    client.pins_add(channel=channel, timestamp=ts)
    assert slack_error(lambda: client.pins_add(channel=channel, timestamp=ts)).response["error"] == "already_pinned"


def test_an_unknown_method_fails_loudly(client):
    error = slack_error(lambda: client.api_call("chat.postMesage", json={"channel": "C1", "text": "x"}))

    assert error.response["error"] == "unknown_method"


def test_form_bodies_and_query_strings_count_as_arguments(fake):
    attachments = [{"text": "hi"}]
    requests.post(
        f"{fake.base_url}chat.postMessage?channel=U7",
        data={"text": "form", "attachments": json.dumps(attachments)},
        headers={"Authorization": "Bearer xoxb-test"},
        timeout=5,
    )

    call = fake.wait_for("chat.postMessage")[0]
    assert call.args["channel"] == "U7"
    assert call.args["attachments"] == json.dumps(attachments)
    assert call.json_arg("attachments") == attachments
    assert fake.messages("U7")[0]["attachments"] == attachments


def test_it_opens_and_updates_views_and_refuses_an_expired_trigger(fake, client):
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "Declare"}, "blocks": []}
    fake.expire_trigger("old-trigger")

    view = client.views_open(trigger_id="t1", view=modal)["view"]
    updated = client.views_update(view_id=view["id"], view={**modal, "callback_id": "declare"})["view"]

    assert view["id"].startswith("V")
    assert updated["id"] == view["id"]
    assert updated["callback_id"] == "declare"
    expired = slack_error(lambda: client.views_open(trigger_id="old-trigger", view=modal))
    assert expired.response["error"] == "expired_trigger_id"


def test_it_adds_bookmarks_and_reactions(fake, client):
    channel = client.conversations_create(name="inc-7")["channel"]["id"]
    ts = client.chat_postMessage(channel=channel, text="x")["ts"]

    client.bookmarks_add(channel_id=channel, title="Incident", type="link", link="https://vigil.test/i/7")
    client.reactions_add(channel=channel, name="eyes", timestamp=ts)

    assert fake.bookmarks(channel)[0]["link"] == "https://vigil.test/i/7"
    assert fake.messages(channel)[0]["reactions"] == [{"name": "eyes", "users": ["UBOT"], "count": 1}]


def test_it_records_what_the_app_posts_to_a_response_url(fake):
    url = fake.response_url("cmd-1")

    answer = WebhookClient(url).send(text="Incident declared", response_type="in_channel")

    assert (answer.status_code, answer.body) == (200, "ok")
    posted = fake.wait_for_responses()[0]
    assert posted.path == "cmd-1"
    assert posted.json == {"text": "Incident declared", "response_type": "in_channel"}


def test_multipart_bodies_count_as_arguments(fake, client):
    client.api_call("chat.postMessage", data={"channel": "U8", "text": "multipart"})

    assert fake.wait_for("chat.postMessage")[0].args == {"channel": "U8", "text": "multipart"}
    assert fake.messages("U8")[0]["text"] == "multipart"


def test_a_malformed_argument_is_invalid_arguments(client):
    channel = client.conversations_create(name="inc-8")["channel"]["id"]

    error = slack_error(lambda: client.conversations_history(channel=channel, limit="many"))

    assert error.response["error"] == "invalid_arguments"
