"""The incident card's buttons (the card is drawn by the incident channel's code, with
incident_buttons): Acknowledge and Resolve are queued like the commands; Update status, Public update
and Page someone open a modal (chat.slack.modals) while Slack waits. Each button's value is the
incident's id; each checks the permission of the dashboard's button, and acts as the presser."""

from incidents import services
from incidents.models import Incident, Status

from .commands import CHANGE, done
from .dispatch import Reply, Request, action, ephemeral
from .modals import page_view, status_view, update_view
from .picking import check_team, named, open_modal

BUTTONS = [  # (action name, label, style)
    ("ack", "Acknowledge", "primary"),
    ("status", "Update status", ""),
    ("update", "Public update", ""),
    ("page", "Page someone", ""),
    ("resolve", "Resolve", "danger"),
]


def incident_buttons(incident: Incident) -> list[dict]:
    """The card's Block Kit buttons, for an `actions` block's elements. The action_id is
    "<action>:<incident id>" (unique within a message; dispatch routes on the part before ":")."""
    buttons = []
    for name, label, style in BUTTONS:
        if name == "ack" and incident.status != Status.TRIGGERED:
            continue  # acknowledged already: the card says by whom
        button = {
            "type": "button",
            "action_id": f"{name}:{incident.pk}",
            "text": {"type": "plain_text", "text": label},
            "value": str(incident.pk),
        }
        if style:
            button["style"] = style
        if name == "resolve":
            button["confirm"] = {
                "title": {"type": "plain_text", "text": "Resolve the incident?"},
                "text": {"type": "plain_text", "text": f"#{incident.pk} will be resolved and paging stops."[:300]},
                "confirm": {"type": "plain_text", "text": "Resolve"},
                "deny": {"type": "plain_text", "text": "Not yet"},
            }
        buttons.append(button)
    return buttons


def _pressed(request: Request, open_only: bool = True) -> Incident:
    value = str(request.action.get("value", ""))
    return check_team(request, named(int(value) if value.isdigit() else 0, open_only))


@action("ack", permission=CHANGE)
def ack(request: Request) -> Reply:
    try:
        incident = services.do_acknowledge(request.actor, _pressed(request))
    except services.ActionError as exc:
        return ephemeral(str(exc)) | {"replace_original": False}
    return done(request, incident, "acknowledged" + (" (paging stopped)" if incident.stopped_paging else ""))


@action("resolve", permission=CHANGE)
def resolve(request: Request) -> Reply:
    try:
        incident = services.do_resolve(request.actor, _pressed(request))
    except services.ActionError as exc:
        return ephemeral(str(exc)) | {"replace_original": False}
    return done(request, incident, "resolved")


@action("status", permission=CHANGE, in_request=True)
def status(request: Request) -> Reply | None:
    return open_modal(request, status_view(request, _pressed(request, open_only=False)))


@action("update", permission="incidents.add_incidentupdate", in_request=True)
def update(request: Request) -> Reply | None:
    return open_modal(request, update_view(request, _pressed(request, open_only=False)))


@action("page", permission=CHANGE, in_request=True)
def page(request: Request) -> Reply | None:
    return open_modal(request, page_view(request, _pressed(request)))
