"""Which incident a command or a button means, and the little Slack plumbing the handlers share.

Inside an incident's channel the incident is implied; elsewhere the first word after the command
names it (`/vigil ack 12`, `/vigil ack #12`; inside a channel only `#12` names another incident, so
`/vigil note 3 pods restarted` stays a note). With no number, the user gets a menu of the open
incidents (action_id `pick:<command words>`); choosing one runs the command as if the number had
been typed, through chat.tasks.run, so who may do what is checked exactly as for a typed command.
"""

import json
import logging
import re

from django.conf import settings
from slack_sdk.errors import SlackApiError

from incidents.models import Incident
from vigil import ownership
from vigil.queue import enqueue

from .client import error_code, web_client
from .dispatch import (
    COMMANDS,
    Refusal,
    Reply,
    Request,
    action,
    command_name,
    describe_permission,
    ephemeral,
    request_from,
)

logger = logging.getLogger(__name__)

NUMBER = re.compile(r"#?(\d{1,9})")
PICK_LIMIT = 25  # the newest open incidents a menu offers
ACTION_ID_LIMIT = 255  # Slack's limit on an action_id, which carries the command's words


def link(incident: Incident) -> str:
    """A Slack link to the incident's page: <https://vigil/incidents/12/|#12 Checkout errors>."""
    label = str(incident).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "/")
    return f"<{settings.VIGIL_BASE_URL}{incident.get_absolute_url()}|{label}>"


def named(number: int, open_only: bool = True) -> Incident:
    """Incident NUMBER, or a Refusal saying plainly why not."""
    incident = Incident.objects.filter(pk=number).first()
    if incident is None:
        raise Refusal(f"There is no incident #{number}.")
    if incident.merged_into_id:
        raise Refusal(f"#{number} was merged into #{incident.merged_into_id}; use that one.")
    if open_only and not incident.is_open:
        raise Refusal(f"#{number} is resolved. Reopen it on its page first: {link(incident)}")
    return incident


def check_team(request: Request, incident: Incident) -> Incident:
    """INCIDENT, when the user's teams may act on it (vigil.ownership); else a Refusal saying whose it is."""
    if request.user is not None and not ownership.may_change(request.user, incident):
        raise Refusal(f"You cannot act on {link(incident)}: {ownership.refusal(incident)}")
    return incident


def split_target(request: Request, args: str, open_only: bool = True) -> tuple[Incident | None, str]:
    """(the incident ARGS or the channel names, the remaining words). None: ask which."""
    here = request.incident_here()
    first, _, rest = args.partition(" ")
    match = NUMBER.fullmatch(first)
    if match and (here is None or first.startswith("#")):
        return named(int(match.group(1)), open_only), rest
    if here is not None and open_only and not here.is_open:
        raise Refusal(f"{link(here)} is resolved: reopen it on its page first.")
    return here, args


def picker(words: str) -> Reply:
    """An ephemeral menu of the newest open incidents; choosing one runs WORDS on it (the `pick` action)."""
    action_id = f"pick:{words}"
    if len(action_id) > ACTION_ID_LIMIT:
        raise Refusal(f"Name the incident: `{command_name()} {words.split(' ', 1)[0]} #12 ...`")
    incidents = list(Incident.objects.open().order_by("-started_at", "-id")[:PICK_LIMIT])
    if not incidents:
        return ephemeral("There is no open incident.")
    options = [
        {"text": {"type": "plain_text", "text": f"#{i.pk} [{i.severity.upper()}] {i.title}"[:75]}, "value": str(i.pk)}
        for i in incidents
    ]
    question = f"Which incident? (`{command_name()} {words}`)"
    return {
        "response_type": "ephemeral",
        "text": question,
        "blocks": [
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": question},
                "accessory": {
                    "type": "static_select",
                    "action_id": action_id,
                    "placeholder": {"type": "plain_text", "text": "Choose an incident"},
                    "options": options,
                },
            }
        ],
    }


@action("pick", in_request=True)
def pick(request: Request) -> Reply | None:
    """Run the command a menu was for on the incident chosen from it. A command that opens a modal runs
    now (its trigger_id lasts 3 s); the others are queued as the typed command would be."""
    words = str(request.action.get("action_id", "")).partition(":")[2]
    name, _, rest = words.partition(" ")
    number = str((request.action.get("selected_option") or {}).get("value", ""))
    handler = COMMANDS.get(name)
    if handler is None or not number.isdigit():
        return None
    if handler.permission and not request.user.has_perm(handler.permission):
        raise Refusal(f"You cannot do that: it needs a role that may {describe_permission(handler.permission)}.")
    payload = {
        "user_id": request.slack_user_id,
        "team_id": request.team_id,
        "channel_id": request.channel_id,
        "response_url": request.response_url,
        "trigger_id": request.trigger_id,
        "text": f"{name} #{number} {rest}".strip(),
    }
    if handler.in_request:
        typed = request_from("command", payload)
        typed.user = request.user
        return handler.run(typed)
    enqueue("chat.tasks.run", "command", payload)
    return None


# --- Slack calls made after the fact (chat.tasks.reply, chat.tasks.tell) --------------------------


def reply(response_url: str, message: dict) -> None:
    """Post MESSAGE to a response_url (a refusal or result of a button press, told after the fact)."""
    from slack_sdk.webhook import WebhookClient

    WebhookClient(response_url, timeout=settings.VIGIL_SLACK_TIMEOUT).send_dict(message)


def tell(channel: str, text: str) -> None:
    """Post TEXT to CHANNEL (a channel id, or a user id: the app's DM with them). Raises on failure:
    the task retries (chat.tasks.tell)."""
    web_client().chat_postMessage(channel=channel, text=text, unfurl_links=False)


def open_modal(request: Request, view: dict) -> Reply | None:
    """Open VIEW with the request's trigger_id, while Slack waits. A trigger lives 3 s and is used once:
    when it has expired the user is asked to try again (nothing else was done)."""
    try:
        web_client().views_open(trigger_id=request.trigger_id, view=view)
    except (SlackApiError, OSError) as exc:
        logger.warning("Slack views.open failed: %s", error_code(exc))
        return ephemeral("Slack did not open the form in time. Please try again.")
    return None


def metadata(**values) -> str:
    return json.dumps(values)


def read_metadata(request: Request) -> dict:
    try:
        return json.loads((request.payload.get("view") or {}).get("private_metadata") or "{}")
    except ValueError:
        return {}
