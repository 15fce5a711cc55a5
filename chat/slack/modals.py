"""The modals: declare (callback "declare"), a public update ("update"), a status ("status") and page
someone ("page"). Each is opened while Slack waits (its trigger_id lasts 3 s) and its submission is
checked while Slack waits, so a missing field or an action the incident's state refuses is shown beside
the field (response_action "errors", keyed by block_id) and the modal stays open.

The submissions run their do_* action in the request too: each is one short database transaction
(paging and notifications are queued on commit by the actions themselves, never done here), and only
an answer within the request can put an ActionError back on the form. What was done is then told by
chat.tasks.tell: in the incident's channel when the modal came from it, else in the app's DM.
"""

import logging

from chat.models import IncidentChannel
from incidents import paging_actions, services
from incidents.models import (
    PUBLIC_STATUS,
    Component,
    EscalationPolicy,
    Incident,
    PublicStatus,
    Schedule,
    Severity,
    SeverityDefinition,
    Status,
)
from incidents.signals import UpdateAudience, update_audience
from incidents.views import notify_sentence
from vigil.queue import enqueue

from .commands import incident_command, on_call
from .dispatch import Refusal, Reply, Request, command, view
from .identity import NotLinked, vigil_user
from .picking import check_team, link, metadata, named, open_modal, read_metadata

logger = logging.getLogger(__name__)

OPTIONS_LIMIT = 100  # Slack's limit on a static select's options
TITLE_LIMIT = Incident._meta.get_field("title").max_length


def _text(text: str, limit: int = 75) -> dict:
    return {"type": "plain_text", "text": text[:limit] or " "}


def _option(label: str, value: str, description: str = "") -> dict:
    option = {"text": _text(label), "value": value}
    if description:
        option["description"] = _text(description)
    return option


def _input(block_id: str, label: str, element: dict, optional: bool = False, hint: str = "") -> dict:
    block = {"type": "input", "block_id": block_id, "label": _text(label, 2000), "element": element}
    if optional:
        block["optional"] = True
    if hint:
        block["hint"] = _text(hint, 2000)
    return block


def _modal(callback_id: str, title: str, submit: str, blocks: list, **meta) -> dict:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": _text(title, 24),
        "submit": _text(submit, 24),
        "close": _text("Cancel", 24),
        "private_metadata": metadata(**meta),
        "blocks": blocks,
    }


def _values(request: Request) -> dict:
    """{block_id: the chosen value}: a text, an option's value, a list of them or a Slack user id."""
    state = ((request.payload.get("view") or {}).get("state") or {}).get("values") or {}
    values = {}
    for block_id, actions in state.items():
        for element in actions.values():
            if "selected_options" in element:
                values[block_id] = [o.get("value") for o in element.get("selected_options") or []]
            elif "selected_option" in element:
                values[block_id] = (element.get("selected_option") or {}).get("value") or ""
            elif "selected_user" in element:
                values[block_id] = element.get("selected_user") or ""
            else:
                values[block_id] = (element.get("value") or "").strip()
    return values


def _errors(**errors) -> Reply:
    return {"response_action": "errors", "errors": errors}


def _told(request: Request, incident: Incident, what: str) -> Reply:
    """Tell what was done: in the incident's channel when the modal came from it, else to the user alone."""
    channel = read_metadata(request).get("channel", "")
    shared = bool(channel) and IncidentChannel.objects.filter(incident=incident, channel_id=channel).exists()
    target = channel if shared else request.slack_user_id
    subject = f"<@{request.slack_user_id}>" if shared else "You"
    enqueue("chat.tasks.tell", target, f"{subject} {what} {link(incident)}")
    return {"response_action": "clear"}


def _meta(request: Request, incident: Incident | None = None) -> dict:
    return {"channel": request.channel_id, **({"incident": incident.pk} if incident else {})}


def _incident(request: Request, open_only: bool = True) -> Incident:
    try:
        incident = named(int(read_metadata(request).get("incident")), open_only)
    except (TypeError, ValueError):
        raise Refusal("This form is not about any incident.") from None
    return check_team(request, incident)


# --- declare -----------------------------------------------------------------------------------------


def declare_view(request: Request) -> dict:
    meanings = {d.level: d for d in SeverityDefinition.objects.all()}
    severities = [
        _option(
            f"{label} — {meanings[level].name}" if level in meanings else label,
            level,
            meanings[level].description if level in meanings else "",
        )
        for level, label in Severity.choices
    ]
    blocks = [
        _input("title", "Title", {"type": "plain_text_input", "action_id": "value", "max_length": TITLE_LIMIT}),
        _input(
            "severity",
            "Severity",
            {
                "type": "static_select",
                "action_id": "value",
                "options": severities,
                "initial_option": next(o for o in severities if o["value"] == Severity.SEV3),
            },
        ),
    ]
    components = list(Component.objects.order_by("name")[:OPTIONS_LIMIT])
    if components:
        element = {"type": "multi_static_select", "action_id": "value", "options": []}
        element["options"] = [_option(c.name, str(c.pk)) for c in components]
        blocks.append(_input("components", "Affected components", element, optional=True))
    summary = {"type": "plain_text_input", "action_id": "value", "multiline": True}
    blocks.append(_input("summary", "Summary", summary, optional=True))
    hint = "Paging follows the severity's and components' default escalation policy, as on the dashboard."
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": hint}]})
    return _modal("declare", "Declare an incident", "Declare", blocks, **_meta(request))


@command(
    "declare",
    usage="declare",
    summary="Declare an incident (a form: title, severity, components, summary).",
    permission="incidents.add_incident",
    in_request=True,
)
def declare(request: Request) -> Reply | None:
    return open_modal(request, declare_view(request))


@view("declare", permission="incidents.add_incident", in_request=True)
def declared(request: Request) -> Reply:
    values = _values(request)
    title, severity = values.get("title", ""), values.get("severity", "")
    if not title:
        return _errors(title="An incident needs a title.")
    if len(title) > TITLE_LIMIT:
        return _errors(title=f"A title has at most {TITLE_LIMIT} characters.")
    if severity not in Severity.values:
        return _errors(severity="Choose a severity.")
    ids = [int(pk) for pk in values.get("components") or [] if str(pk).isdigit()]
    try:
        incident, _ = services.do_declare(
            request.actor,
            title=title,
            severity=severity,
            summary=values.get("summary", ""),
            components=list(Component.objects.filter(pk__in=ids)),
        )
    except services.ActionError as exc:
        return _errors(title=str(exc))
    return _told(request, incident, "declared")


# --- a public update ------------------------------------------------------------------------------


def audience(incident: Incident) -> UpdateAudience:
    """Who a public update would reach now: every app's answer to update_audience, added up (as the
    dashboard's composer counts it)."""
    total = UpdateAudience()
    for receiver, result in update_audience.send_robust(
        sender=Incident, incident=incident, components=None, status="", message=""
    ):
        if isinstance(result, Exception):
            logger.error("Update audience %r failed", receiver, exc_info=result)
        elif isinstance(result, UpdateAudience):
            total = total.add(result)
    return total


def update_view(request: Request, incident: Incident) -> dict:
    statuses = [_option(label, value) for value, label in PublicStatus.choices]
    current = PUBLIC_STATUS[incident.status]
    status = {"type": "static_select", "action_id": "value", "options": statuses}
    status["initial_option"] = next(o for o in statuses if o["value"] == current)
    message = {"type": "plain_text_input", "action_id": "value", "multiline": True}
    preview = (
        f"*What customers will see*: the status and this message on the status page, for {incident.title}.\n"
        f"Will notify: {notify_sentence(audience(incident))}"
    )
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"Public update for {link(incident)}"}},
        _input("status", "Status", status),
        _input("message", "Message to customers", message),
        {"type": "context", "block_id": "preview", "elements": [{"type": "mrkdwn", "text": preview[:3000]}]},
    ]
    return _modal("update", "Public update", "Post update", blocks, **_meta(request, incident))


@incident_command(
    "update",
    "update [#incident]",
    "Post a public update (a form, with who it will notify).",
    permission="incidents.add_incidentupdate",
    in_request=True,
)
def update(request: Request, incident: Incident, rest: str) -> Reply | None:
    return open_modal(request, update_view(request, incident))


@view("update", permission="incidents.add_incidentupdate", in_request=True)
def updated(request: Request) -> Reply:
    values = _values(request)
    incident = _incident(request, open_only=False)
    if not values.get("message"):
        return _errors(message="An update needs a message.")
    try:
        services.do_post_update(request.actor, incident, values.get("status", ""), values["message"])
    except services.ActionError as exc:
        return _errors(message=str(exc))
    return _told(request, incident, "posted a public update on")


# --- status ---------------------------------------------------------------------------------------


def status_view(request: Request, incident: Incident) -> dict:
    options = [_option(label, value) for value, label in Status.choices if incident.can_move_to(value)]
    options = [o for o in options if o["value"] != Status.RESOLVED]
    if not options:
        raise Refusal(f"{link(incident)} cannot change status now.")
    element = {"type": "static_select", "action_id": "value", "options": options}
    blocks = [_input("status", f"New status (now {incident.get_status_display().lower()})", element)]
    return _modal("status", "Update status", "Set status", blocks, **_meta(request, incident))


@view("status", permission="incidents.change_incident", in_request=True)
def status_chosen(request: Request) -> Reply:
    incident = _incident(request, open_only=False)
    try:
        incident = services.do_change_status(request.actor, incident, _values(request).get("status", ""))
    except services.ActionError as exc:
        return _errors(status=str(exc))
    return _told(request, incident, f"set the status to {incident.get_status_display().lower()} on")


# --- page someone ---------------------------------------------------------------------------------


def page_view(request: Request, incident: Incident) -> dict:
    targets = [_option(f"Schedule: {s.name}", f"schedule:{s.pk}") for s in Schedule.objects.all()]
    targets += [_option(f"Policy: {p.name}", f"policy:{p.pk}") for p in EscalationPolicy.objects.order_by("name")]
    blocks = [_input("user", "Person", {"type": "users_select", "action_id": "value"}, optional=True)]
    if targets:
        element = {"type": "static_select", "action_id": "value", "options": targets[:OPTIONS_LIMIT]}
        blocks.append(_input("target", "Or whoever is on call on", element, optional=True))
    return _modal("page", "Page someone", "Page", blocks, **_meta(request, incident))


def _page_target(values: dict):
    """(users, policy, label) the page form names; raises ValueError (the field's message) otherwise."""
    if values.get("user"):
        try:
            return [vigil_user(values["user"])], None, ""
        except NotLinked:
            raise ValueError("user", "That Slack user is not linked to a Vigil user.") from None
    kind, _, pk = (values.get("target") or "").partition(":")
    if kind == "policy" and EscalationPolicy.objects.filter(pk=pk).exists():
        return [], EscalationPolicy.objects.get(pk=pk), ""
    schedule = Schedule.objects.filter(pk=pk).first() if kind == "schedule" and pk.isdigit() else None
    if schedule is None:
        raise ValueError("user", "Choose a person, or a schedule or policy.")
    users = on_call(schedule)
    if not users:
        raise ValueError("target", f"Nobody is on call on {schedule.name} now.")
    return users, None, schedule.name


@view("page", permission="incidents.change_incident", in_request=True)
def paged(request: Request) -> Reply:
    incident = _incident(request)
    try:
        users, policy, label = _page_target(_values(request))
        if policy is not None:
            paging_actions.do_page_oncall(request.actor, incident, policy)
            return _told(request, incident, f"paged {policy.name} for")
        paging_actions.do_page_users(request.actor, incident, users, reason=label)
    except ValueError as exc:
        return _errors(**{exc.args[0]: exc.args[1]})
    except services.ActionError as exc:
        return _errors(user=str(exc))
    return _told(request, incident, f"paged {', '.join(u.get_username() for u in users)} for")
