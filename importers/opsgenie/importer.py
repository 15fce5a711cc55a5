"""Opsgenie -> Vigil: people, teams, schedules (rotations, restrictions, overrides), escalations, API integrations.

- A user is matched to the Vigil account with the same email, its Opsgenie username (importers.people).
- A team becomes a Vigil team (one of the same name is joined) with its members; a schedule's or an
  escalation's `ownerTeam` its owner. Team roles and routing rules are not kept.
- A schedule becomes a schedule in the same time zone, each rotation one Vigil rotation per daily
  window (importers.opsgenie.rotations), and each override not over yet an override.
- An escalation becomes an escalation policy with a level per distinct delay (its users and
  schedules), and an API integration an integration of kind "opsgenie": senders of Opsgenie's
  Alert API change only the URL and the key.
"""

from datetime import UTC, datetime
from itertools import pairwise

from incidents.integrations.services import do_create_integration
from incidents.models import EscalationPolicy, Integration, Schedule
from incidents.oncall.import_actions import Level, do_create_escalation_policy
from incidents.oncall.services import do_add_override, do_create_rotation, do_create_schedule
from vigil.roles import Role

from ..base import Context, Importer, Item, Plan
from ..people import person_item, team_item, unique_name
from .reader import DEFAULT_URL, OpsgenieData, Reader
from .rotations import Unmappable, map_rotation, parse_time

TOOL = "Opsgenie"
MINUTES = {"minutes": 1, "hours": 60, "days": 1440}
CONTACTS = "contact methods and notification rules are not imported: each person adds theirs in Vigil"
OVERLAP = (
    "Opsgenie pages everyone on call in overlapping rotations; Vigil pages one person a schedule, so where "
    "rotations overlap the one listed first in Opsgenie wins"
)


class OpsgenieImporter(Importer):
    name = "opsgenie"
    help = "Opsgenie's REST API v2 (read-only): users, teams, schedules, overrides, escalations, API integrations"

    @classmethod
    def add_arguments(cls, parser) -> None:
        # Shared with PagerDuty and Statuspage (listed before this one in importers.sources): one option
        # serves them all, with no default on the parser; each source falls back to its own URL.
        if "--api-key" not in parser._option_string_actions:
            parser.add_argument("--api-key", help="opsgenie: an API key with read access.")
        if "--api-url" not in parser._option_string_actions:
            parser.add_argument("--api-url", help=f"opsgenie: the API's address (default {DEFAULT_URL}).")
        parser.set_defaults(api_url=None)

    def build_plan(self) -> Plan:
        reader = Reader(self.options.get("api_key") or "", self.options.get("api_url") or DEFAULT_URL)
        now = datetime.now(UTC)
        return self.plan_from(reader.read(now))

    def plan_from(self, data: OpsgenieData) -> Plan:
        plan = Plan(source=self.source)
        for user in data.users:
            plan.items.append(_user_item(user))
        if data.users:
            plan.cannot(f"{len(data.users)} users' contact methods", CONTACTS)
        user_ids = {(u.get("username") or "").lower(): u["id"] for u in data.users}
        for team in data.teams:  # before what they own: a schedule or an escalation finds its team made
            plan.items.append(_team_item(team, user_ids))
        for schedule in data.schedules:
            _plan_schedule(schedule, data.overrides.get(schedule["id"], []), plan)
        for escalation in data.escalations:
            _plan_escalation(escalation, plan)
        for integration in data.integrations:
            _plan_integration(integration, plan)
        return plan


def _user_item(user: dict) -> Item:
    role = ((user.get("role") or {}).get("id") or (user.get("role") or {}).get("name") or "").lower()
    vigil_role = Role.VIEWER if role == "stakeholder" else Role.RESPONDER
    return person_item(TOOL, user["id"], user.get("username") or "", user.get("fullName") or "", vigil_role,
                       admin=role in ("admin", "owner"))  # fmt: skip


def _team_item(team: dict, user_ids: dict[str, str]) -> Item:
    """USER_IDS: user id by username, for a member named by username only."""
    members = team.get("members") or []
    approximations = [
        "its routing rules are not imported: Vigil routes by integration, each with its escalation policy"
    ]
    if any(member.get("role") not in (None, "user") for member in members):
        approximations.append("team roles (admin) are not kept: each is a member, with their Vigil role")
    member_ids = []
    for member in members:
        user = member.get("user") or {}
        found = user.get("id") or user_ids.get((user.get("username") or "").lower())
        if found:
            member_ids.append(found)
    return team_item(TOOL, team["id"], team.get("name") or "", member_ids, approximations)


def _owner(thing: dict) -> str | None:
    """The source id of the owner team of a schedule or an escalation (Opsgenie: one, `ownerTeam`)."""
    return (thing.get("ownerTeam") or {}).get("id")


def _plan_schedule(schedule: dict, overrides: list[dict], plan: Plan) -> None:
    what = f'schedule "{schedule.get("name")}" ({schedule.get("timezone")})'
    rotations = schedule.get("rotations") or []
    mapped, approximations = [], []
    for index, rotation in enumerate(rotations):
        try:
            layer = map_rotation(rotation, priority=len(rotations) - index)
        except Unmappable as exc:
            plan.cannot(f'{what}, rotation "{rotation.get("name")}"', f"{exc}: the schedule is imported without it")
            continue
        mapped.append(layer)
        approximations += layer.approximations
    if len(mapped) > 1:
        approximations.append(OVERLAP)
    if schedule.get("enabled") is False:
        approximations.append("disabled in Opsgenie: imported as a schedule that no policy pages yet")
    user_ids = sorted({uid for layer in mapped for uid in layer.user_ids})
    name = (schedule.get("name") or schedule["id"])[:100]

    team_id = _owner(schedule)

    def build(ctx: Context) -> Schedule:
        created = do_create_schedule(ctx.actor, name=unique_name(Schedule, name, TOOL),
                                     description=schedule.get("description") or "",
                                     time_zone=schedule.get("timezone") or "UTC",
                                     team=ctx.get("team", team_id) if team_id else None)  # fmt: skip
        for layer in mapped:
            members = [ctx.get("user", uid) for uid in layer.user_ids]
            for settings in layer.settings:
                do_create_rotation(ctx.actor, created, members=members, **settings)
        return created

    summary = f"{what} -> schedule with {sum(len(m.settings) for m in mapped)} layers"
    needs = [("user", uid) for uid in user_ids]
    plan.items.append(Item("schedule", schedule["id"], summary, build, approximations, needs))
    for override in overrides:
        _plan_override(schedule["id"], name, override, plan)


def _plan_override(schedule_id: str, schedule_name: str, override: dict, plan: Plan) -> None:
    starts_at, ends_at = (
        parse_time(override["startDate"]).astimezone(UTC),
        parse_time(override["endDate"]).astimezone(UTC),
    )
    user = override.get("user") or {}
    what = f'override on "{schedule_name}": {user.get("username") or user.get("name") or user.get("type")} ' \
           f"{starts_at:%Y-%m-%d %H:%M} to {ends_at:%Y-%m-%d %H:%M} UTC"  # fmt: skip
    if user.get("type") != "user":
        plan.cannot(what, f"it puts a {user.get('type')} on call; a Vigil override names one person")
        return
    approximations = []
    if override.get("rotations"):
        names = ", ".join(r.get("name") or r.get("id") for r in override["rotations"])
        approximations.append(f"Opsgenie limits it to the rotations {names}; a Vigil override covers the schedule")

    def build(ctx: Context):
        return do_add_override(
            ctx.actor, ctx.get("schedule", schedule_id), user=ctx.get("user", user["id"]),
            starts_at=starts_at, ends_at=ends_at, reason="Imported from Opsgenie",
        )  # fmt: skip

    needs = [("schedule", schedule_id), ("user", user["id"])]
    plan.items.append(Item("override", f"{schedule_id}/{override['alias']}", what, build, approximations, needs))


def _delay(rule: dict) -> int:
    delay = rule.get("delay") or {}
    return int(delay.get("timeAmount") or 0) * MINUTES.get(delay.get("timeUnit") or "minutes", 1)


def _plan_escalation(escalation: dict, plan: Plan) -> None:
    what = f'escalation "{escalation.get("name")}"'
    steps: dict[int, dict] = {}
    needs, approximations = [], []
    for rule in sorted(escalation.get("rules") or [], key=_delay):
        recipient = rule.get("recipient") or {}
        kind = recipient.get("type")
        if kind in ("user", "schedule"):
            steps.setdefault(_delay(rule), {"user": [], "schedule": []})[kind].append(recipient["id"])
            needs.append((kind, recipient["id"]))
        else:
            approximations.append(f"{kind} recipient {recipient.get('name') or recipient.get('id')} left out")
        if rule.get("notifyType") not in (None, "default"):
            approximations.append(f"notify type {rule['notifyType']!r} pages the schedule's current on-call instead")
        if rule.get("condition") == "if-not-closed":
            approximations.append("Vigil escalates until acknowledged, not until closed")
    if not steps:
        plan.cannot(what, "it has no rule for a user or a schedule")
        return
    repeat = escalation.get("repeat") or {}
    delays = sorted(steps)
    last = max(int(repeat.get("waitInterval") or 0), 1) if repeat.get("count") else 15
    timeouts = [max(b - a, 1) for a, b in pairwise(delays)] + [last]
    if delays[0] > 0:
        approximations.append(
            f"Opsgenie waits {delays[0]} min before its first rule; Vigil's first level pages at once"
        )
    name = (escalation.get("name") or escalation["id"])[:100]
    team_id = _owner(escalation)

    def build(ctx: Context) -> EscalationPolicy:
        levels = [
            Level(
                t,
                [ctx.get("user", i) for i in steps[d]["user"]],
                [ctx.get("schedule", i) for i in steps[d]["schedule"]],
            )
            for d, t in zip(delays, timeouts, strict=True)
        ]
        return do_create_escalation_policy(
            ctx.actor, name=unique_name(EscalationPolicy, name, TOOL), levels=levels,
            description=escalation.get("description") or "", repeat=int(repeat.get("count") or 0),
            team=ctx.get("team", team_id) if team_id else None,
        )  # fmt: skip

    summary = f"{what} -> escalation policy with {len(delays)} levels"
    plan.items.append(Item("escalation", escalation["id"], summary, build, approximations, needs))


def _plan_integration(integration: dict, plan: Plan) -> None:
    what = f'integration "{integration.get("name")}" ({integration.get("type")})'
    if integration.get("type") != "API":
        plan.cannot(what, "only API integrations map (to Vigil's Opsgenie Alert API); point this tool at a Vigil "
                          "integration of the nearest kind (alertmanager, grafana, generic)")  # fmt: skip
        return
    approximations = [
        "Opsgenie's integration keys cannot be kept: senders keep the Alert API format and change the URL and the "
        "key to those on the new integration's page; Opsgenie routes through teams, so give it a policy by hand"
    ]

    def build(ctx: Context) -> Integration:
        name = (integration.get("name") or integration["id"])[:100]
        enabled = integration.get("enabled", True)
        return do_create_integration(ctx.actor, name=name, kind=Integration.Kind.OPSGENIE, enabled=enabled)

    summary = f'{what} -> integration of kind "opsgenie"' + ("" if integration.get("enabled", True) else " (disabled)")
    plan.items.append(Item("integration", integration["id"], summary, build, approximations))
