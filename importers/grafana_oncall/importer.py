"""Grafana OnCall -> Vigil: people, teams, web and calendar schedules, escalation chains, integrations.

- A user is matched to the Vigil account with the same email (importers.people).
- A team becomes a Vigil team (one of the same name is joined). OnCall's teams API gives no members;
  each user lists their teams, which makes the members. A schedule's or a chain's `team_id` its owner.
- A web or calendar schedule becomes a schedule in the same time zone with a rotation per shift
  that maps (importers.grafana_oncall.shifts); override shifts still to come become overrides. An
  iCal schedule lives in someone else's calendar: it is listed with its URL, not imported.
- An escalation chain becomes an escalation policy: each notify step adds its people or schedule
  to the current level, a wait step closes the level with its duration as the level's timeout.
- An integration becomes a Vigil integration of the nearest kind under its default route's chain.
  Other routes cannot map: a Vigil integration has one escalation policy and no routing rules.
"""

from datetime import UTC, datetime, timedelta

from incidents.integrations.services import do_create_integration
from incidents.models import EscalationPolicy, Integration, Schedule
from incidents.oncall.import_actions import Level, do_create_escalation_policy
from incidents.oncall.services import do_add_override, do_create_rotation, do_create_schedule
from vigil.roles import Role

from ..base import Context, Importer, Item, Plan
from ..people import person_item, team_item, unique_name
from .reader import OnCallData, Reader
from .shifts import Unmappable, map_shift, start_of

TOOL = "Grafana OnCall"
KINDS = {"alertmanager": "alertmanager", "legacy_alertmanager": "alertmanager", "grafana_alerting": "grafana",
         "legacy_grafana_alerting": "grafana", "grafana": "grafana", "webhook": "generic",
         "formatted_webhook": "generic"}  # fmt: skip
NO_SENDER = {"direct_paging", "manual", "inbound_email", "maintenance", "heartbeat", "slack_channel"}
NOTIFY_STEPS = {"notify_persons", "notify_person_next_each_time", "notify_on_call_from_schedule"}
LAST_TIMEOUT = 15  # minutes: a chain's last level, when no wait step follows it (Vigil's default)


class GrafanaOnCallImporter(Importer):
    name = "grafana-oncall"
    help = (
        "Grafana OnCall's public API v1 (read-only): users, teams, schedules and shifts, escalation chains, "
        "integrations"
    )

    @classmethod
    def add_arguments(cls, parser) -> None:
        # Shared with the other API sources, listed before this one in importers.sources.
        if "--api-key" not in parser._option_string_actions:
            parser.add_argument("--api-key", help="grafana-oncall: an OnCall API token.")
        if "--api-url" not in parser._option_string_actions:
            parser.add_argument("--api-url", help="grafana-oncall: the OnCall API's address (no default).")
        parser.set_defaults(api_url=None)

    def build_plan(self) -> Plan:
        reader = Reader(self.options.get("api_key") or "", self.options.get("api_url") or "")
        return self.plan_from(reader.read(), datetime.now(UTC))

    def plan_from(self, data: OnCallData, now: datetime) -> Plan:
        plan = Plan(source=self.source)
        for user in data.users:
            role = Role.VIEWER if user.get("role") == "viewer" else Role.RESPONDER
            plan.items.append(person_item(TOOL, user["id"], user.get("email") or "", user.get("username") or "",
                                          role, admin=user.get("role") == "admin"))  # fmt: skip
        for team in data.teams:  # before what they own: a schedule or a chain finds its team made
            members = [user["id"] for user in data.users if team["id"] in (user.get("teams") or [])]
            plan.items.append(team_item(TOOL, team["id"], team.get("name") or "", members))
        for schedule in data.schedules:
            _plan_schedule(schedule, data.shifts, now, plan)
        for chain in data.chains:
            steps = sorted((s for s in data.steps if s.get("escalation_chain_id") == chain["id"]),
                           key=lambda s: s.get("position") or 0)  # fmt: skip
            _plan_chain(chain, steps, plan)
        for integration in data.integrations:
            _plan_integration(integration, plan)
        for route in data.routes:
            if not route.get("is_the_last_route"):
                plan.cannot(
                    f"route {route.get('routing_regex') or route['id']} of integration {route.get('integration_id')}",
                    "Vigil integrations have one escalation policy and no routing rules: make one integration per "
                    "route and point the matching senders at it",
                )
        return plan


def _plan_schedule(schedule: dict, shifts: dict, now: datetime, plan: Plan) -> None:
    what = f'schedule "{schedule.get("name")}" ({schedule.get("type")}, {schedule.get("time_zone")})'
    if schedule.get("type") == "ical":
        plan.cannot(what, f"an iCal schedule lives in its calendar ({schedule.get('ical_url_primary')}): rebuild "
                          "it as rotations in Vigil, or keep the calendar and add overrides")  # fmt: skip
        return
    tz = schedule.get("time_zone") or "UTC"
    mapped, approximations, overrides = [], [], []
    if schedule.get("type") == "calendar" and schedule.get("ical_url_overrides"):
        approximations.append(f"its iCal overrides ({schedule['ical_url_overrides']}) are not imported")
    for shift_id in schedule.get("shifts") or []:
        shift = shifts.get(shift_id) or {"id": shift_id, "type": "missing"}
        if shift.get("type") == "override":
            overrides.append(shift)
            continue
        try:
            layer = map_shift(shift, tz)
        except Unmappable as exc:
            plan.cannot(
                f'{what}, shift "{shift.get("name") or shift_id}"', f"{exc}: the schedule is imported without it"
            )
            continue
        mapped.append(layer)
        approximations += layer.approximations
    user_ids = sorted({uid for layer in mapped for uid in layer.user_ids})
    name = (schedule.get("name") or schedule["id"])[:100]

    team_id = schedule.get("team_id")

    def build(ctx: Context) -> Schedule:
        team = ctx.get("team", team_id) if team_id else None
        created = do_create_schedule(ctx.actor, name=unique_name(Schedule, name, TOOL), time_zone=tz, team=team)
        for layer in mapped:
            members = [ctx.get("user", u) for u in layer.user_ids]
            for settings in layer.settings:
                do_create_rotation(ctx.actor, created, members=members, **settings)
        return created

    summary = f"{what} -> schedule with {sum(len(m.settings) for m in mapped)} layers"
    plan.items.append(Item("schedule", schedule["id"], summary, build, approximations, [("user", u) for u in user_ids]))
    for shift in overrides:
        _plan_override(schedule["id"], name, shift, now, plan)


def _plan_override(schedule_id: str, schedule_name: str, shift: dict, now: datetime, plan: Plan) -> None:
    starts_at = start_of(shift)
    ends_at = starts_at + timedelta(seconds=int(shift.get("duration") or 0))
    if ends_at <= now:
        return
    people = list(shift.get("users") or [])
    what = f'override on "{schedule_name}": {starts_at:%Y-%m-%d %H:%M} to {ends_at:%Y-%m-%d %H:%M} UTC'
    if len(people) != 1:
        plan.cannot(what, f"it puts {len(people)} people on call; a Vigil override names one person")
        return

    def build(ctx: Context):
        return do_add_override(ctx.actor, ctx.get("schedule", schedule_id), user=ctx.get("user", people[0]),
                               starts_at=starts_at, ends_at=ends_at, reason="Imported from Grafana OnCall")  # fmt: skip

    needs = [("schedule", schedule_id), ("user", people[0])]
    plan.items.append(Item("override", shift["id"], what, build, needs=needs))


def _plan_chain(chain: dict, steps: list[dict], plan: Plan) -> None:
    what = f'escalation chain "{chain.get("name")}"'
    levels: list[dict] = [{"user": [], "schedule": [], "timeout": LAST_TIMEOUT}]
    needs, approximations, repeat = [], [], 0
    for step in steps:
        kind = step.get("type")
        if kind == "wait":
            if levels[-1]["user"] or levels[-1]["schedule"]:
                levels[-1]["timeout"] = max(int(step.get("duration") or 60) // 60, 1)
                levels.append({"user": [], "schedule": [], "timeout": LAST_TIMEOUT})
            else:
                approximations.append("a wait before anyone is paged is left out: Vigil's first level pages at once")
        elif kind in ("notify_persons", "notify_person_next_each_time"):
            people = step.get("persons_to_notify") or step.get("persons_to_notify_next_each_time") or []
            levels[-1]["user"] += people
            needs += [("user", p) for p in people]
            if kind == "notify_person_next_each_time":
                approximations.append('"notify one person, the next each time" pages all of them')
        elif kind == "notify_on_call_from_schedule" and step.get("notify_on_call_from_schedule"):
            levels[-1]["schedule"].append(step["notify_on_call_from_schedule"])
            needs.append(("schedule", step["notify_on_call_from_schedule"]))
        elif kind == "repeat_escalation":
            repeat = 5  # OnCall repeats a chain up to five times
        elif kind:
            approximations.append(f"step {kind!r} left out: Vigil's levels page people and schedules")
    levels = [level for level in levels if level["user"] or level["schedule"]]
    if not levels:
        plan.cannot(what, "it pages no user and no schedule")
        return
    name = (chain.get("name") or chain["id"])[:100]
    team_id = chain.get("team_id")

    def build(ctx: Context) -> EscalationPolicy:
        team = ctx.get("team", team_id) if team_id else None
        made = [Level(lv["timeout"], [ctx.get("user", u) for u in lv["user"]],
                      [ctx.get("schedule", s) for s in lv["schedule"]]) for lv in levels]  # fmt: skip
        return do_create_escalation_policy(ctx.actor, name=unique_name(EscalationPolicy, name, TOOL), levels=made,
                                           repeat=repeat, team=team)  # fmt: skip

    summary = f"{what} -> escalation policy with {len(levels)} levels"
    plan.items.append(Item("escalation chain", chain["id"], summary, build, approximations, needs))


def _plan_integration(integration: dict, plan: Plan) -> None:
    kind = integration.get("type") or ""
    what = f'integration "{integration.get("name")}" ({kind})'
    if kind in NO_SENDER:
        plan.cannot(what, "it has no sender to point at Vigil (paging, email, heartbeat...): set it up in Vigil")
        return
    approximations = [] if kind in KINDS else [f"no Vigil kind for {kind!r}: made generic JSON; check its payloads"]
    approximations.append("OnCall's URL cannot be kept: senders change to the new integration's URL (Integrations)")
    chain_id = (integration.get("default_route") or {}).get("escalation_chain_id")

    def build(ctx: Context) -> Integration:
        policy = ctx.get("escalation chain", chain_id) if chain_id else None
        name = (integration.get("name") or integration["id"])[:100]
        return do_create_integration(ctx.actor, name=name, kind=KINDS.get(kind, "generic"), escalation_policy=policy)

    summary = f'{what} -> integration of kind "{KINDS.get(kind, "generic")}"'
    needs = [("escalation chain", chain_id)] if chain_id else []
    plan.items.append(Item("integration", integration["id"], summary, build, approximations, needs))
