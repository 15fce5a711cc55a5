"""A local fake of Slack's Web API: a threaded HTTP server on loopback that answers like
slack.com/api/ and records every request, so the official `slack_sdk.WebClient` is tested for
real (point it at `WebClient(token=..., base_url=fake.base_url)`; never patch the client).

slack_sdk sends most methods as form bodies (booleans as "1"/"0"), the message and view methods
as JSON, and a caller may also use the query string; every argument lands in `Call.args`
whichever way it came. Answers follow Slack's documented shapes: HTTP 200 with `{"ok": true}` or
`{"ok": false, "error": ...}`, and `ratelimited` as HTTP 429 with a Retry-After header.

A test scripts trouble per method with `fail_next(method, error, ...)`, `fail_all(...)` until
`heal()`, and `delay` (seconds before each answer). Celery workers in other processes reach the
fake over HTTP, so `wait_for` polls until their calls arrive.
"""

import email.parser
import email.policy
import itertools
import json
import re
import threading
import time
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
FIRST_TS = 1_700_000_000
JSON_ARGS = ("blocks", "attachments", "view", "users")
# Slack's rule for channel names: lowercase letters, digits, hyphens and underscores, at most 80.
CHANNEL_NAME = re.compile(r"[a-z0-9_-]+")


class SlackError(Exception):
    """An answer of `{"ok": false, "error": error}` from a method handler."""

    def __init__(self, error: str):
        super().__init__(error)
        self.error = error


@dataclass
class Call:
    method: str
    args: dict
    headers: dict

    def json_arg(self, name: str, default=None):
        """The argument NAME, decoded when it came JSON-encoded as a string (form bodies)."""
        value = self.args.get(name, default)
        if isinstance(value, str) and value[:1] in ("[", "{"):
            return json.loads(value)
        return value


@dataclass
class ResponsePost:
    """One POST the app made to a response_url."""

    path: str
    headers: dict
    body: bytes

    @property
    def json(self):
        return json.loads(self.body)


@dataclass
class Channel:
    id: str
    name: str
    is_private: bool = False
    is_im: bool = False
    user: str = ""
    is_archived: bool = False
    created: int = FIRST_TS
    members: list[str] = field(default_factory=list)
    messages: list[dict] = field(default_factory=list)
    pins: list[str] = field(default_factory=list)
    bookmarks: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        if self.is_im:
            return {"id": self.id, "is_im": True, "user": self.user, "created": self.created, "is_org_shared": False}
        return {
            "id": self.id,
            "name": self.name,
            "name_normalized": self.name,
            "is_channel": True,
            "is_group": False,
            "is_im": False,
            "is_mpim": False,
            "is_private": self.is_private,
            "is_archived": self.is_archived,
            "is_general": False,
            "is_member": BOT_USER_ID in self.members,
            "created": self.created,
            "creator": BOT_USER_ID,
            "num_members": len(self.members),
            "topic": {"value": "", "creator": "", "last_set": 0},
            "purpose": {"value": "", "creator": "", "last_set": 0},
        }

    def find(self, ts: str) -> dict:
        for message in self.messages:
            if message["ts"] == ts:
                return message
        raise SlackError("message_not_found")


def truthy(value) -> bool:
    return value in (True, 1, "1", "true", "True")


def parse_body(content_type: str, body: bytes) -> dict:
    """The arguments in a JSON, form-encoded or multipart body."""
    if not body:
        return {}
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/json":
        return json.loads(body)
    if kind == "multipart/form-data":
        head = f"Content-Type: {content_type}\r\n\r\n".encode()
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
        return {
            part.get_param("name", header="content-disposition"): part.get_content() for part in message.iter_parts()
        }
    return dict(parse_qsl(body.decode(), keep_blank_values=True))


class FakeSlack:
    """Slack's Web API at `base_url` (`http://127.0.0.1:PORT/api/`) and response_urls beside it."""

    def __init__(self, token: str = "xoxb-test", team_id: str = "T0001"):  # noqa: S107 (a test token)
        self.token = token
        self.team_id = team_id
        self.calls: list[Call] = []
        self.responses: list[ResponsePost] = []
        self.ephemerals: list[dict] = []
        self.views: dict[str, dict] = {}
        self.delay = 0.0
        self.lock = threading.RLock()
        self.users: dict[str, dict] = {}
        self.channels: dict[str, Channel] = {}
        self.dms: dict[str, str] = {}
        self.expired_triggers: set[str] = set()
        self.failures: dict[str, deque] = defaultdict(deque)
        self.failing: dict[str, tuple[str, int, int | None]] = {}
        self.ids = itertools.count(1)
        self.ticks = itertools.count(1)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.server.request_queue_size = 128
        # A short poll so that stop() (shutdown waits for the next poll) takes milliseconds, not 0.5 s.
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.01,), daemon=True)
        self.methods = {
            "auth.test": self.auth_test,
            "users.lookupByEmail": self.users_lookup_by_email,
            "users.info": self.users_info,
            "conversations.create": self.conversations_create,
            "conversations.invite": self.conversations_invite,
            "conversations.archive": self.conversations_archive,
            "conversations.info": self.conversations_info,
            "conversations.members": self.conversations_members,
            "conversations.history": self.conversations_history,
            "conversations.replies": self.conversations_replies,
            "chat.postMessage": self.chat_post_message,
            "chat.update": self.chat_update,
            "chat.postEphemeral": self.chat_post_ephemeral,
            "chat.delete": self.chat_delete,
            "pins.add": self.pins_add,
            "bookmarks.add": self.bookmarks_add,
            "reactions.add": self.reactions_add,
            "views.open": self.views_open,
            "views.push": self.views_push,
            "views.update": self.views_update,
        }

    # --- Life cycle and inspection ----------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/api/"

    def start(self) -> "FakeSlack":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def calls_to(self, method: str) -> list[Call]:
        with self.lock:
            return [call for call in self.calls if call.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 10) -> list[Call]:
        """The calls to METHOD once there are COUNT of them; AssertionError after TIMEOUT seconds."""
        deadline = time.monotonic() + timeout
        while len(calls := self.calls_to(method)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(calls)} calls to {method} after {timeout}s, expected {count}")
            time.sleep(0.02)
        return calls

    def wait_for_responses(self, count: int = 1, timeout: float = 10) -> list[ResponsePost]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.responses) >= count:
                    return list(self.responses)
            time.sleep(0.02)
        raise AssertionError(f"{len(self.responses)} response_url posts after {timeout}s, expected {count}")

    def messages(self, channel: str) -> list[dict]:
        """The messages now stored in CHANNEL (an id, or a user id for the DM), oldest first."""
        with self.lock:
            return [dict(message) for message in self._channel(channel).messages]

    def members(self, channel: str) -> list[str]:
        with self.lock:
            return list(self._channel(channel).members)

    def pins(self, channel: str) -> list[str]:
        with self.lock:
            return list(self._channel(channel).pins)

    def bookmarks(self, channel: str) -> list[dict]:
        with self.lock:
            return list(self._channel(channel).bookmarks)

    def channel_named(self, name: str) -> dict:
        with self.lock:
            return self._named(name).as_dict()

    # --- Test set-up -------------------------------------------------------------------------------

    def add_user(self, user_id, email, name="", real_name="", is_bot=False, deleted=False) -> dict:
        name = name or email.split("@")[0]
        real_name = real_name or name
        user = {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "real_name": real_name,
            "deleted": deleted,
            "is_bot": is_bot,
            "is_admin": False,
            "tz": "UTC",
            "profile": {
                "email": email,
                "display_name": name,
                "display_name_normalized": name,
                "real_name": real_name,
                "real_name_normalized": real_name,
                "team": self.team_id,
            },
        }
        with self.lock:
            self.users[user_id] = user
        return user

    def add_channel(self, name: str, members: tuple[str, ...] = (), is_private: bool = False) -> str:
        """A channel that exists before the app starts; its id."""
        with self.lock:
            return self._create_channel(name, is_private, [BOT_USER_ID, *members]).id

    def post_user_message(self, channel: str, user: str, text: str, thread_ts: str | None = None) -> str:
        """A human's message in CHANNEL, as if typed in Slack; its ts."""
        with self.lock:
            return self._store(self._channel(channel), {"user": user, "text": text}, thread_ts)["ts"]

    def expire_trigger(self, trigger_id: str) -> None:
        with self.lock:
            self.expired_triggers.add(trigger_id)

    def response_url(self, path: str | None = None) -> str:
        """A response_url on this fake; what the app POSTs there lands in `responses`."""
        return f"{self.url}/response/{path or uuid.uuid4().hex}"

    # --- Trouble -----------------------------------------------------------------------------------

    def fail_next(self, method: str, error: str, count: int = 1, status: int = 200, retry_after=None) -> None:
        with self.lock:
            self.failures[method].extend([(error, status, retry_after)] * count)

    def fail_all(self, method: str, error: str, status: int = 200, retry_after=None) -> None:
        with self.lock:
            self.failing[method] = (error, status, retry_after)

    def heal(self) -> None:
        with self.lock:
            self.failures.clear()
            self.failing.clear()

    def _scripted_failure(self, method: str):
        with self.lock:
            if self.failures[method]:
                return self.failures[method].popleft()
            return self.failing.get(method)

    # --- The HTTP side -----------------------------------------------------------------------------

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                self.handle_request(b"")

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if len(body) < length:  # the client died mid-request
                    self.close_connection = True
                    return
                self.handle_request(body)

            def handle_request(self, body):
                url = urlsplit(self.path)
                if url.path.startswith("/response/"):
                    with fake.lock:
                        fake.responses.append(
                            ResponsePost(url.path.removeprefix("/response/"), dict(self.headers), body)
                        )
                    return self.answer(200, b"ok", "text/plain", {})
                if not url.path.startswith("/api/"):
                    return self.answer(404, b"Not Found", "text/plain", {})
                args = dict(parse_qsl(url.query, keep_blank_values=True))
                try:
                    args.update(parse_body(self.headers.get("Content-Type", ""), body))
                except (ValueError, UnicodeDecodeError):
                    return self.answer(200, json.dumps({"ok": False, "error": "invalid_json"}).encode(), None, {})
                call = Call(url.path.removeprefix("/api/"), args, dict(self.headers))
                with fake.lock:
                    fake.calls.append(call)
                if fake.delay:
                    time.sleep(fake.delay)
                status, payload, headers = fake.answer(call)
                self.answer(status, json.dumps(payload).encode(), None, headers)

            def answer(self, status, data, content_type, headers):
                self.send_response(status)
                self.send_header("Content-Type", content_type or "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

        return Handler

    def answer(self, call: Call) -> tuple[int, dict, dict]:
        """(status, payload, headers) for CALL: unknown method, scripted failure, auth, then the method."""
        handler = self.methods.get(call.method)
        if handler is None:
            return 200, {"ok": False, "error": "unknown_method"}, {}
        failure = self._scripted_failure(call.method)
        if failure:
            error, status, retry_after = failure
            headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
            return status, {"ok": False, "error": error}, headers
        try:
            self._check_auth(call)
            with self.lock:
                return 200, {"ok": True, **handler(call)}, {}
        except SlackError as e:
            return 200, {"ok": False, "error": e.error}, {}
        except (ValueError, TypeError):  # a latest="soon" or limit="many": Slack names no field either
            return 200, {"ok": False, "error": "invalid_arguments"}, {}

    def _check_auth(self, call: Call) -> None:
        header = call.headers.get("Authorization") or call.headers.get("authorization") or ""
        token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else call.args.get("token")
        if not token:
            raise SlackError("not_authed")
        if token != self.token:
            raise SlackError("invalid_auth")

    # --- State helpers (called with the lock held) -------------------------------------------------

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self.ids):08X}"

    def _next_ts(self) -> str:
        """Unique and increasing: 1700000000.000100, 1700000000.000200, ..."""
        tick = next(self.ticks) * 100
        return f"{FIRST_TS + tick // 1_000_000}.{tick % 1_000_000:06d}"

    def _create_channel(self, name: str, is_private: bool, members: list[str]) -> Channel:
        channel = Channel(self._new_id("C"), name, is_private=is_private, members=members)
        channel.created = int(time.time())
        self.channels[channel.id] = channel
        return channel

    def _named(self, name: str) -> Channel:
        for channel in self.channels.values():
            if channel.name == name and not channel.is_im:
                return channel
        raise SlackError("channel_not_found")

    def _dm(self, user_id: str) -> Channel:
        if user_id not in self.dms:
            channel = Channel(f"D{user_id[1:]}", "", is_im=True, user=user_id, members=[BOT_USER_ID, user_id])
            self.channels[channel.id] = channel
            self.dms[user_id] = channel.id
        return self.channels[self.dms[user_id]]

    def _channel(self, channel_id: str | None) -> Channel:
        """The channel CHANNEL_ID names: an id, a user id (their DM) or a #name."""
        if not channel_id:
            raise SlackError("channel_not_found")
        if channel_id in self.channels:
            return self.channels[channel_id]
        if channel_id[0] in "UW":
            user = self.users.get(channel_id)
            if user and user["deleted"]:
                raise SlackError("user_disabled")
            return self._dm(channel_id)
        return self._named(channel_id.removeprefix("#"))

    def _open_channel(self, channel_id: str | None) -> Channel:
        channel = self._channel(channel_id)
        if channel.is_archived:
            raise SlackError("is_archived")
        return channel

    def _store(self, channel: Channel, fields: dict, thread_ts: str | None) -> dict:
        message = {"type": "message", "ts": self._next_ts(), **fields}
        if thread_ts:
            parent = channel.find(thread_ts)
            parent["thread_ts"] = thread_ts
            parent["reply_count"] = parent.get("reply_count", 0) + 1
            parent["latest_reply"] = message["ts"]
            message["thread_ts"] = thread_ts
        channel.messages.append(message)
        return message

    def _user(self, user_id: str | None) -> dict:
        if user_id not in self.users:
            raise SlackError("user_not_found")
        return self.users[user_id]

    @staticmethod
    def _content(call: Call) -> dict:
        fields = {"text": call.args.get("text", "")}
        for name in ("blocks", "attachments"):
            if name in call.args:
                fields[name] = call.json_arg(name)
        return fields

    # --- Methods -----------------------------------------------------------------------------------

    def auth_test(self, call):
        return {
            "url": "https://vigil-test.slack.com/",
            "team": "Vigil Test",
            "user": "vigil",
            "team_id": self.team_id,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def users_lookup_by_email(self, call):
        email = (call.args.get("email") or "").lower()
        for user in self.users.values():
            if user["profile"]["email"].lower() == email:
                return {"user": user}
        raise SlackError("users_not_found")

    def users_info(self, call):
        return {"user": self._user(call.args.get("user"))}

    def conversations_create(self, call):
        name = call.args.get("name") or ""
        if not name:
            raise SlackError("invalid_name_required")
        if len(name) > 80:
            raise SlackError("invalid_name_maxlength")
        if not CHANNEL_NAME.fullmatch(name):
            raise SlackError("invalid_name_specials")
        if not re.search(r"[a-z0-9]", name):
            raise SlackError("invalid_name_punctuation")
        if any(channel.name == name for channel in self.channels.values()):
            raise SlackError("name_taken")
        channel = self._create_channel(name, truthy(call.args.get("is_private")), [BOT_USER_ID])
        return {"channel": channel.as_dict()}

    def conversations_invite(self, call):
        channel = self._open_channel(call.args.get("channel"))
        users = call.args.get("users") or ""
        users = users if isinstance(users, list) else [u.strip() for u in users.split(",") if u.strip()]
        if not users:
            raise SlackError("no_user")
        if BOT_USER_ID in users:
            raise SlackError("cant_invite_self")
        if all(user in channel.members for user in users):
            raise SlackError("already_in_channel")
        channel.members.extend(user for user in users if user not in channel.members)
        return {"channel": channel.as_dict()}

    def conversations_archive(self, call):
        channel = self._channel(call.args.get("channel"))
        if channel.is_archived:
            raise SlackError("already_archived")
        channel.is_archived = True
        return {}

    def conversations_info(self, call):
        return {"channel": self._channel(call.args.get("channel")).as_dict()}

    def conversations_members(self, call):
        members = self._channel(call.args.get("channel")).members
        return {"members": list(members), "response_metadata": {"next_cursor": ""}}

    def conversations_history(self, call):
        """Top-level messages newest first, between oldest and latest (exclusive unless inclusive)."""
        channel = self._channel(call.args.get("channel"))
        latest = float(call.args.get("latest") or "inf")
        oldest = float(call.args.get("oldest") or 0)
        inclusive = truthy(call.args.get("inclusive"))
        limit = int(call.args.get("limit") or 100)

        def within(ts: float) -> bool:
            return oldest <= ts <= latest if inclusive else oldest < ts < latest

        found = [
            dict(m)
            for m in reversed(channel.messages)
            if within(float(m["ts"])) and m.get("thread_ts", m["ts"]) == m["ts"]
        ]
        return {"messages": found[:limit], "has_more": len(found) > limit, "response_metadata": {"next_cursor": ""}}

    def conversations_replies(self, call):
        channel = self._channel(call.args.get("channel"))
        ts = call.args.get("ts")
        try:
            parent = channel.find(ts)
        except SlackError:
            raise SlackError("thread_not_found") from None
        thread_ts = parent.get("thread_ts", ts)
        thread = [dict(m) for m in channel.messages if m["ts"] == thread_ts or m.get("thread_ts") == thread_ts]
        return {"messages": thread, "has_more": False, "response_metadata": {"next_cursor": ""}}

    def chat_post_message(self, call):
        channel = self._open_channel(call.args.get("channel"))
        fields = {"user": BOT_USER_ID, "bot_id": BOT_ID, **self._content(call)}
        if not fields["text"] and not fields.get("blocks") and not fields.get("attachments"):
            raise SlackError("no_text")
        message = self._store(channel, fields, call.args.get("thread_ts"))
        return {"channel": channel.id, "ts": message["ts"], "message": dict(message)}

    def chat_update(self, call):
        channel = self._channel(call.args.get("channel"))
        message = channel.find(call.args.get("ts"))
        message.update(self._content(call))
        message["edited"] = {"user": BOT_USER_ID, "ts": self._next_ts()}
        return {"channel": channel.id, "ts": message["ts"], "text": message["text"], "message": dict(message)}

    def chat_post_ephemeral(self, call):
        channel = self._open_channel(call.args.get("channel"))
        if not call.args.get("user"):
            raise SlackError("user_not_in_channel")
        ephemeral = {"channel": channel.id, "user": call.args["user"], "ts": self._next_ts(), **self._content(call)}
        self.ephemerals.append(ephemeral)
        return {"message_ts": ephemeral["ts"]}

    def chat_delete(self, call):
        channel = self._channel(call.args.get("channel"))
        message = channel.find(call.args.get("ts"))
        channel.messages.remove(message)
        return {"channel": channel.id, "ts": message["ts"]}

    def pins_add(self, call):
        channel = self._channel(call.args.get("channel"))
        timestamp = call.args.get("timestamp")
        channel.find(timestamp)
        if timestamp in channel.pins:
            raise SlackError("already_pinned")
        channel.pins.append(timestamp)
        return {}

    def bookmarks_add(self, call):
        channel = self._open_channel(call.args.get("channel_id"))
        if not call.args.get("title") or call.args.get("type") != "link" or not call.args.get("link"):
            raise SlackError("invalid_arguments")
        bookmark = {
            "id": self._new_id("Bk"),
            "channel_id": channel.id,
            "title": call.args["title"],
            "link": call.args["link"],
            "emoji": call.args.get("emoji"),
            "type": "link",
            "date_created": int(time.time()),
        }
        channel.bookmarks.append(bookmark)
        return {"bookmark": bookmark}

    def reactions_add(self, call):
        message = self._channel(call.args.get("channel")).find(call.args.get("timestamp"))
        name = (call.args.get("name") or "").strip(":")
        if not name:
            raise SlackError("invalid_name")
        reactions = message.setdefault("reactions", [])
        reaction = next((r for r in reactions if r["name"] == name), None)
        if reaction is None:
            reaction = {"name": name, "users": [], "count": 0}
            reactions.append(reaction)
        if BOT_USER_ID in reaction["users"]:
            raise SlackError("already_reacted")
        reaction["users"].append(BOT_USER_ID)
        reaction["count"] += 1
        return {}

    def _new_view(self, call: Call, root_view_id: str | None = None, previous_view_id: str | None = None) -> dict:
        trigger_id = call.args.get("trigger_id")
        if not trigger_id:
            raise SlackError("invalid_arguments")
        if trigger_id in self.expired_triggers:
            raise SlackError("expired_trigger_id")
        view = call.json_arg("view")
        if not isinstance(view, dict) or not view.get("type"):
            raise SlackError("invalid_arguments")
        view_id = self._new_id("V")
        stored = self._view_dict(view, view_id, root_view_id or view_id, previous_view_id)
        self.views[view_id] = stored
        return {"view": stored}

    def _view_dict(self, view: dict, view_id: str, root_view_id: str, previous_view_id: str | None) -> dict:
        return {
            "blocks": [],
            "private_metadata": "",
            "callback_id": "",
            "external_id": "",
            **view,
            "id": view_id,
            "team_id": self.team_id,
            "state": {"values": {}},
            "hash": uuid.uuid4().hex[:16],
            "root_view_id": root_view_id,
            "previous_view_id": previous_view_id,
            "app_id": "AFAKE",
            "bot_id": BOT_ID,
        }

    def views_open(self, call):
        return self._new_view(call)

    def views_push(self, call):
        # The modal a push lands on is the one the trigger came from; the fake takes the latest view.
        previous = list(self.views.values())[-1] if self.views else None
        if previous is None:
            return self._new_view(call)
        return self._new_view(call, previous["root_view_id"], previous["id"])

    def views_update(self, call):
        view_id, external_id = call.args.get("view_id"), call.args.get("external_id")
        matches = [
            v for v in self.views.values() if v["id"] == view_id or (external_id and v["external_id"] == external_id)
        ]
        if not matches:
            raise SlackError("not_found")
        old = matches[0]
        if call.args.get("hash") and call.args["hash"] != old["hash"]:
            raise SlackError("hash_conflict")
        view = call.json_arg("view")
        if not isinstance(view, dict) or not view.get("type"):
            raise SlackError("invalid_arguments")
        updated = self._view_dict(view, old["id"], old["root_view_id"], old["previous_view_id"])
        self.views[old["id"]] = updated
        return {"view": updated}
