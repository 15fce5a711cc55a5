"""The slash command's words. `help` lists them all.

Each command checks the permission the dashboard's button for it checks, and calls the same do_*
action with the Slack user as actor (via="slack"). Commands that change an incident are announced in
the incident's channel ("@rita acknowledged #12"); elsewhere only the user sees the answer.
"""

import re

from django.contrib.auth import get_user_model
from django.utils import timezone

from incidents import paging_actions, services
from incidents.models import EscalationPolicy, Incident, Schedule, Status
from incidents.oncall.schedule import load_plans

from .dispatch import COMMANDS, Refusal, Reply, Request, command, command_name, ephemeral, load
from .identity import NotLinked, vigil_user
from .picking import check_team, link, picker, split_target

CHANGE = "incidents.change_incident"  # incidents.views: acknowledge, status, role, page, resolve
MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
ROLE_WORDS = {"commander": "commander", "comms": "comms_lead", "comms_lead": "comms_lead", "scribe": "scribe"}


@command("help", usage="help", summary="What each command does.", in_request=True, permission="")
def help_(request: Request):
    load()
    name = command_name()
    lines = [f"*{name}* commands (inside an incident's channel the incident is implied):"]
    for handler in sorted(COMMANDS.values(), key=lambda h: h.name):
        lines.append(f"• `{name} {handler.usage}`: {handler.summary}")
    return ephemeral("\n".join(lines))


def incident_command(name: str, usage: str, summary: str, permission: str = CHANGE, open_only: bool = True, **options):
    """Register a command about one incident: RUN(request, incident, rest of the words) -> Reply.
    Without an incident (none named, not in its channel) the user is asked which (picking.picker)."""

    def decorate(run):
        def handle(request: Request) -> Reply | None:
            incident, rest = split_target(request, request.text.partition(" ")[2], open_only)
            if incident is None:
                return picker(request.text)
            if ".view_" not in permission:
                check_team(request, incident)
            try:
                return run(request, incident, rest.strip())
            except services.ActionError as exc:
                return ephemeral(str(exc))

        command(name, usage=usage, summary=summary, permission=permission, **options)(handle)
        return run

    return decorate


def done(request: Request, incident: Incident, what: str) -> Reply:
    """ "@rita acknowledged #12": for everyone in the incident's own channel, elsewhere for the user alone."""
    here = request.incident_here()
    shared = here is not None and here.pk == incident.pk
    return {
        "response_type": "in_channel" if shared else "ephemeral",
        "replace_original": False,
        "text": f"<@{request.slack_user_id}> {what} {link(incident)}",
    }


@incident_command("ack", "ack [#incident]", "Acknowledge: you are on it, and paging stops.")
def ack(request: Request, incident: Incident, rest: str) -> Reply:
    incident = services.do_acknowledge(request.actor, incident)
    return done(request, incident, "acknowledged" + (" (paging stopped)" if incident.stopped_paging else ""))


def _statuses() -> str:
    return ", ".join(f"`{s}`" for s in Status.values if s != Status.RESOLVED)


@incident_command("status", "status <status> [#incident]", "Set the status: " + _statuses() + ".", open_only=False)
def status(request: Request, incident: Incident, rest: str) -> Reply:
    value = rest.split(" ", 1)[0].lower()
    if value == Status.RESOLVED:
        raise Refusal(f"Use `{command_name()} resolve` to resolve an incident.")
    if value not in Status.values:
        return ephemeral(f"{'`' + value + '` is not a status. ' if value else ''}Use one of: {_statuses()}.")
    incident = services.do_change_status(request.actor, incident, value)
    return done(request, incident, f"set the status to {incident.get_status_display().lower()} on")


@incident_command("note", "note <text>", "Add an internal note to the timeline.", "incidents.add_incidentevent")
def note(request: Request, incident: Incident, rest: str) -> Reply:
    if not rest:
        return ephemeral(f"Write the note after the word: `{command_name()} note Rolled back the deploy`.")
    services.do_add_note(request.actor, incident, rest)
    return done(request, incident, "added a note to")


def mentioned_user(word: str):
    """The Vigil user a mention (`<@U123|rita>`, `<@U123>`) or a Vigil username (`@rita`) names."""
    match = MENTION.fullmatch(word)
    if match:
        try:
            return vigil_user(match.group(1))
        except NotLinked:
            raise Refusal(f"<@{match.group(1)}> is not linked to a Vigil user, so Vigil cannot name them.") from None
    username = word.removeprefix("@")
    user = get_user_model().objects.filter(username=username, is_active=True).first() if username else None
    if user is None:
        raise Refusal(f"Nobody in Vigil is called {word or '(nobody named)'}: mention them, as in @rita.")
    return user


@incident_command("role", "role commander|comms|scribe @user", "Give someone a role on the incident.")
def role(request: Request, incident: Incident, rest: str) -> Reply:
    word, _, who = rest.partition(" ")
    if word.lower() not in ROLE_WORDS or not who.strip():
        return ephemeral(f"Say which role and who: `{command_name()} role commander|comms|scribe @someone`.")
    user = mentioned_user(who.strip())
    key = ROLE_WORDS[word.lower()]
    services.do_assign_role(request.actor, incident, key, user)
    return done(request, incident, f"made {user.get_username()} {services.ROLES[key]} of")


@incident_command("page", "page @user|<schedule or policy>", "Page a person, or whoever is on call.")
def page(request: Request, incident: Incident, rest: str) -> Reply:
    if not rest:
        return ephemeral(f"Say who: `{command_name()} page @someone` or `{command_name()} page <schedule>`.")
    policy = EscalationPolicy.objects.filter(name__iexact=rest).first()
    if policy is not None:
        paging_actions.do_page_oncall(request.actor, incident, policy)
        return done(request, incident, f"paged {policy.name} for")
    schedule = Schedule.objects.filter(name__iexact=rest).first()
    users = on_call(schedule) if schedule is not None else [mentioned_user(rest)]
    if not users:
        return ephemeral(f"Nobody is on call on {schedule.name} now, so nobody was paged.")
    paging_actions.do_page_users(request.actor, incident, users, reason=schedule.name if schedule else "")
    return done(request, incident, f"paged {', '.join(u.get_username() for u in users)} for")


@incident_command("resolve", "resolve [#incident]", "Resolve the incident.")
def resolve(request: Request, incident: Incident, rest: str) -> Reply:
    services.do_resolve(request.actor, incident, rest)
    return done(request, incident, "resolved")


def on_call(schedule: Schedule) -> list:
    now = timezone.now()
    return load_plans([schedule], now)[schedule.pk].users_at(now)


@command("oncall", usage="oncall [schedule]", summary="Who is on call now.", permission="incidents.view_schedule")
def oncall(request: Request) -> Reply:
    name = request.text.partition(" ")[2].strip()
    schedules = list(Schedule.objects.filter(name__iexact=name) if name else Schedule.objects.all())
    if not schedules:
        return ephemeral(f"There is no schedule called {name}." if name else "There is no on-call schedule.")
    now = timezone.now()
    plans = load_plans(schedules, now)
    lines = []
    for schedule in schedules:
        people = ", ".join(u.get_full_name() or u.get_username() for u in plans[schedule.pk].users_at(now))
        lines.append(f"• *{schedule.name}*: {people or 'nobody'}")
    return ephemeral("On call now:\n" + "\n".join(lines))
