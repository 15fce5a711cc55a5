"""What each thing a Slack user does runs: slash-command words, buttons, modal submissions, events.

Handlers live in their own modules (HANDLER_MODULES) and register here with the decorators below.
views.py builds a Request from what Slack sent, finds who the user is (identity), checks the
handler's permission exactly as the web does, and then either runs the handler at once (only what
must answer within Slack's 3 s: opening a modal, checking a modal's fields) or queues it
(chat.tasks.run) and answers Slack with nothing. A queued handler's reply goes to the response_url.

A handler gets a Request and returns a Reply (a Slack message dict: text, blocks, response_type,
replace_original...) or None. Raising Refusal answers the user with its message, ephemerally.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module

from django.conf import settings

from vigil.audit import Actor
from vigil.roles import role_of

from .identity import NotLinked, vigil_user

# Modules whose import registers handlers (each registers with the decorators below).
HANDLER_MODULES = [
    "chat.slack.commands",
    "chat.slack.modals",
    "chat.slack.actions",
    "chat.slack.picking",
    "chat.slack.timeline",
    "chat.slack.page_actions",
]

Reply = dict


class Refusal(Exception):
    """The user may not, or cannot, do this. The message is said to them (ephemerally)."""


@dataclass
class Request:
    """One thing a Slack user did: a slash command, a button press, a modal submission or an event."""

    kind: str  # command | action | view | event
    payload: dict
    slack_user_id: str = ""
    team_id: str = ""
    channel_id: str = ""
    response_url: str = ""
    trigger_id: str = ""
    text: str = ""  # a command: the words after its name; an event: the event's type
    action: dict = field(default_factory=dict)  # a button press: the action pressed
    user: object | None = None

    @property
    def actor(self) -> Actor:
        return Actor(user=self.user, via="slack")

    def incident_here(self):
        """The incident whose channel this happened in, or None."""
        from chat.models import IncidentChannel

        if not self.channel_id:
            return None
        row = IncidentChannel.objects.select_related("incident").filter(channel_id=self.channel_id).first()
        return row.incident if row else None


@dataclass(frozen=True)
class Handler:
    name: str
    run: Callable[[Request], Reply | None]
    permission: str = ""  # a Django permission the user needs, as on the web ("incidents.add_incident")
    in_request: bool = False  # runs while Slack waits (3 s): modals only
    usage: str = ""
    summary: str = ""
    needs_user: bool = True  # events about anyone (a reaction) resolve the user themselves


COMMANDS: dict[str, Handler] = {}
ACTIONS: dict[str, Handler] = {}  # by action_id, up to its first ":" ("ack:42" -> "ack")
VIEWS: dict[str, Handler] = {}  # by the modal's callback_id
EVENTS: dict[str, Handler] = {}  # by event type ("reaction_added")
REGISTRIES = {"command": COMMANDS, "action": ACTIONS, "view": VIEWS, "event": EVENTS}


def _register(registry: dict, name: str, **options):
    def decorate(run):
        registry[name] = Handler(name=name, run=run, **options)
        return run

    return decorate


def command(name: str, usage: str, summary: str, **options):
    return _register(COMMANDS, name, usage=usage, summary=summary, **options)


def action(name: str, **options):
    return _register(ACTIONS, name, **options)


def view(callback_id: str, **options):
    return _register(VIEWS, callback_id, **options)


def event(event_type: str, **options):
    return _register(EVENTS, event_type, needs_user=False, **options)


_loaded = False


def load() -> None:
    global _loaded
    if not _loaded:
        for module in HANDLER_MODULES:
            import_module(module)
        _loaded = True


def handler_for(request: Request) -> Handler | None:
    load()
    registry = REGISTRIES[request.kind]
    if request.kind == "command":
        return registry.get(request.text.split(" ", 1)[0].lower() or "help") or registry.get("help")
    if request.kind == "action":
        return registry.get(str(request.action.get("action_id", "")).split(":", 1)[0])
    if request.kind == "view":
        return registry.get(str((request.payload.get("view") or {}).get("callback_id", "")))
    return registry.get(request.text)


def authorise(request: Request, handler: Handler) -> None:
    """Find REQUEST's Vigil user and check HANDLER's permission. Raises Refusal saying why not."""
    if not handler.needs_user:
        return
    try:
        request.user = vigil_user(request.slack_user_id, request.team_id)
    except NotLinked as exc:
        raise Refusal(str(exc)) from None
    if handler.permission and not request.user.has_perm(handler.permission):
        role = role_of(request.user)
        raise Refusal(
            f"You cannot do that: your Vigil role is {role.label.lower() if role else 'none'}, "
            f"and it needs a role that may {describe_permission(handler.permission)}."
        )


def describe_permission(permission: str) -> str:
    codename = permission.partition(".")[2]
    verb, _, model = codename.partition("_")
    verb = {"add": "create", "view": "see"}.get(verb, verb)
    return f"{verb} {model}s"


def notice_view(text: str) -> dict:
    """A modal that only says TEXT (what a refused submission turns into)."""
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Vigil"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}],
    }


def ephemeral(text: str) -> Reply:
    return {"response_type": "ephemeral", "text": text}


def command_name() -> str:
    return settings.VIGIL_SLACK_COMMAND


def request_from(kind: str, payload: dict) -> Request:
    """A Request from what Slack sent: a command's form fields, an interaction's or an event's JSON."""
    if kind == "command":
        return Request(
            kind=kind,
            payload=payload,
            slack_user_id=payload.get("user_id", ""),
            team_id=payload.get("team_id", ""),
            channel_id=payload.get("channel_id", ""),
            response_url=payload.get("response_url", ""),
            trigger_id=payload.get("trigger_id", ""),
            text=" ".join(payload.get("text", "").split()),
        )
    if kind == "event":
        item = payload.get("event") or {}
        return Request(
            kind=kind,
            payload=payload,
            slack_user_id=str(item.get("user", "")),
            team_id=payload.get("team_id", ""),
            channel_id=str((item.get("item") or {}).get("channel") or item.get("channel") or ""),
            text=str(item.get("type", "")),
        )
    user = payload.get("user") or {}
    actions = payload.get("actions") or [{}]
    return Request(
        kind=kind,
        payload=payload,
        slack_user_id=user.get("id", ""),
        team_id=(payload.get("team") or {}).get("id", "") or user.get("team_id", ""),
        channel_id=(payload.get("channel") or {}).get("id", "")
        or (payload.get("container") or {}).get("channel_id", ""),
        response_url=payload.get("response_url", ""),
        trigger_id=payload.get("trigger_id", ""),
        action=actions[0],
    )


def respond(request: Request, reply: Reply | None) -> None:
    """Send a queued handler's REPLY to the request's response_url (good for 30 minutes, 5 uses)."""
    if reply and request.response_url:
        from slack_sdk.webhook import WebhookClient

        WebhookClient(request.response_url, timeout=settings.VIGIL_SLACK_TIMEOUT).send_dict(reply)


def run(kind: str, payload: dict) -> None:
    """Run a queued request (chat.tasks.run): who the user is and may do is checked again here."""
    request = request_from(kind, payload)
    handler = handler_for(request)
    if handler is None:
        return
    try:
        authorise(request, handler)
        reply = handler.run(request)
    except Refusal as exc:
        reply = ephemeral(str(exc))
    if reply and request.kind == "action":
        reply = {"replace_original": False, **reply}  # a reply to a button never replaces the card it is on
    respond(request, reply)
