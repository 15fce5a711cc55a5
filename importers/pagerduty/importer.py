"""PagerDuty -> Vigil: people, teams, schedules (layers, restrictions, overrides), escalation policies, services.

- A PagerDuty user is matched to the Vigil account with the same email (case-insensitive). One
  without an account gets a new, active account with no usable password (a password reset lets
  them in): a schedule is only faithful when every member takes their turn, and Vigil's rotations
  skip inactive people, which would shift every later turn to the wrong person.
- A team becomes a Vigil team (one of the same name is joined) with its members; a schedule or a
  policy is owned by its first team. Team roles and PagerDuty's team hierarchy are not kept.
- A schedule becomes a schedule in the same time zone, each current layer one rotation per window
  with its days of the week (importers.pagerduty.layers), and each override still to come an override.
- An escalation policy becomes one with a level per rule (its delay, its users and schedules), and
  a service an integration of kind "pagerduty" under that policy. PagerDuty's integration keys
  cannot be kept: the new routing key is printed, and senders change URL and key.
"""

from datetime import UTC, datetime

from incidents.integrations.services import do_create_integration
from incidents.models import EscalationPolicy, Integration, Schedule
from incidents.oncall.import_actions import Level, do_create_escalation_policy
from incidents.oncall.services import do_add_override, do_create_rotation, do_create_schedule
from vigil.roles import Role

from ..base import Context, Importer, Item, Plan
from ..people import first_team, person_item, team_item, unique_name
from .layers import Unmappable, is_over, map_layer, parse_time
from .reader import DEFAULT_URL, PagerDutyData, Reader

VIEWER_ROLES = {"observer", "read_only_user", "read_only_limited_user", "restricted_access"}
CONTACTS = "contact methods and notification rules are not imported: each person adds theirs in Vigil"


class PagerDutyImporter(Importer):
    name = "pagerduty"
    help = "PagerDuty's REST API v2 (read-only): users, teams, schedules, overrides, escalation policies, services"

    @classmethod
    def add_arguments(cls, parser) -> None:
        # Statuspage reuses these two (importers.sources lists it after this one): no default on the
        # parser, each source falls back to its own URL.
        parser.add_argument("--api-key", help="pagerduty: a REST API key (a read-only key is enough).")
        parser.add_argument("--api-url", help=f"pagerduty: the API's base URL (default {DEFAULT_URL}).")
        parser.add_argument("--ca-file", help="pagerduty: also trust this CA bundle (a proxy in front of the API).")

    def build_plan(self) -> Plan:
        reader = Reader(self.options.get("api_key") or "", self.options.get("api_url") or DEFAULT_URL,
                        self.options.get("ca_file"))  # fmt: skip
        now = datetime.now(UTC)
        return self.plan_from(reader.read(now), now)

    def plan_from(self, data: PagerDutyData, now: datetime) -> Plan:
        plan = Plan(source=self.source)
        for user in data.users:
            plan.items.append(_user_item(user))
        if data.users:
            plan.cannot(f"{len(data.users)} users' contact methods", CONTACTS)
        for team in data.teams:  # before what they own: a schedule or a policy finds its team made
            plan.items.append(_team_item(team, data.team_members.get(team["id"], [])))
        for schedule in data.schedules:
            _plan_schedule(schedule, data.overrides.get(schedule["id"], []), now, plan)
        for policy in data.escalation_policies:
            _plan_policy(policy, plan)
        for service in data.services:
            plan.items.append(_service_item(service))
        for window in data.maintenance_windows:
            services = ", ".join(s.get("summary") or s["id"] for s in window.get("services") or [])
            plan.cannot(
                f"maintenance window {window.get('start_time')} to {window.get('end_time')} ({services})",
                "Vigil's integrations have no maintenance windows: pause the integrations then, or plan "
                "maintenance on the components they affect",
            )
        return plan


def _user_item(user: dict) -> Item:
    role = Role.VIEWER if user.get("role") in VIEWER_ROLES else Role.RESPONDER
    admin = user.get("role") in ("admin", "owner")
    return person_item("PagerDuty", user["id"], user.get("email"), user.get("name"), role, admin=admin)


def _team_item(team: dict, members: list[dict]) -> Item:
    approximations = []
    parent = team.get("parent") or {}
    if parent:
        name = parent.get("summary") or parent.get("id")
        approximations.append(f"PagerDuty's parent team \"{name}\" is not kept: Vigil's teams are flat")
    roles = sorted({m.get("role") for m in members if m.get("role")})
    if set(roles) - {"responder"}:
        approximations.append(f"team roles ({', '.join(roles)}) are not kept: each is a member, with their Vigil role")
    member_ids = [m["user"]["id"] for m in members if (m.get("user") or {}).get("id")]
    return team_item("PagerDuty", team["id"], team.get("name") or team.get("summary") or "", member_ids, approximations)


def _plan_schedule(schedule: dict, overrides: list[dict], now: datetime, plan: Plan) -> None:
    what = f'schedule "{schedule.get("name")}" ({schedule.get("time_zone")})'
    layers, approximations = [], []
    for priority, layer in enumerate(schedule.get("schedule_layers") or []):
        if is_over(layer, now):
            continue
        try:
            mapped = map_layer(layer, priority, now)
        except Unmappable as exc:
            plan.cannot(f'{what}, layer "{layer.get("name")}"', f"{exc}: the schedule is imported without it")
            continue
        layers.append(mapped)
        approximations += mapped.approximations
    user_ids = sorted({uid for mapped in layers for uid in mapped.user_ids})
    name = (schedule.get("name") or schedule["id"])[:100]
    team_id = first_team("PagerDuty", schedule.get("teams"), approximations)

    def build(ctx: Context) -> Schedule:
        created = do_create_schedule(
            ctx.actor,
            name=unique_name(Schedule, name, "PagerDuty"),
            description=schedule.get("description") or "",
            time_zone=schedule.get("time_zone") or "UTC",
            team=ctx.get("team", team_id) if team_id else None,
        )
        for mapped in layers:
            members = [ctx.get("user", uid) for uid in mapped.user_ids]
            for settings in mapped.settings:
                do_create_rotation(ctx.actor, created, members=members, **settings)
        return created

    summary = f"{what} -> schedule with {sum(len(m.settings) for m in layers)} layers"
    # Exact, only shown as several rows: say why there are more layers than PagerDuty shows.
    split = [f'"{m.name}" as {len(m.settings)}' for m in layers if len(m.settings) > 1]
    if split:
        summary += f" (same people, start and priority, one a window: {', '.join(split)})"
    needs = [("user", uid) for uid in user_ids]
    plan.items.append(Item("schedule", schedule["id"], summary, build, approximations, needs))
    for override in overrides:
        if parse_time(override["end"]) > now:
            plan.items.append(_override_item(schedule["id"], name, override))


def _override_item(schedule_id: str, schedule_name: str, override: dict) -> Item:
    starts_at, ends_at = parse_time(override["start"]).astimezone(UTC), parse_time(override["end"]).astimezone(UTC)
    user_id = override["user"]["id"]

    def build(ctx: Context):
        return do_add_override(
            ctx.actor, ctx.get("schedule", schedule_id), user=ctx.get("user", user_id),
            starts_at=starts_at, ends_at=ends_at, reason="Imported from PagerDuty",
        )  # fmt: skip

    who = override["user"].get("summary") or user_id
    summary = f'override on "{schedule_name}": {who} {starts_at:%Y-%m-%d %H:%M} to {ends_at:%Y-%m-%d %H:%M} UTC'
    return Item("override", override["id"], summary, build, needs=[("schedule", schedule_id), ("user", user_id)])


def _plan_policy(policy: dict, plan: Plan) -> None:
    what = f'escalation policy "{policy.get("name")}"'
    rules, needs, approximations = [], [], []
    for rule in policy.get("escalation_rules") or []:
        targets = {"user": [], "schedule": []}
        for target in rule.get("targets") or []:
            kind = (target.get("type") or "").removesuffix("_reference")
            if kind in targets:
                targets[kind].append(target["id"])
                needs.append((kind, target["id"]))
            else:
                approximations.append(f"{kind} target {target.get('summary') or target['id']} left out")
        rules.append((max(int(rule.get("escalation_delay_in_minutes") or 1), 1), targets))
    if not rules:
        plan.cannot(what, "it has no rules")
        return
    name = (policy.get("name") or policy["id"])[:100]
    team_id = first_team("PagerDuty", policy.get("teams"), approximations)

    def build(ctx: Context) -> EscalationPolicy:
        levels = [
            Level(delay, [ctx.get("user", i) for i in t["user"]], [ctx.get("schedule", i) for i in t["schedule"]])
            for delay, t in rules
        ]
        return do_create_escalation_policy(
            ctx.actor, name=unique_name(EscalationPolicy, name, "PagerDuty"), levels=levels,
            description=policy.get("description") or "", repeat=int(policy.get("num_loops") or 0),
            team=ctx.get("team", team_id) if team_id else None,
        )  # fmt: skip

    summary = f"{what} -> escalation policy with {len(rules)} levels"
    plan.items.append(Item("escalation policy", policy["id"], summary, build, approximations, needs))


def _service_item(service: dict) -> Item:
    policy_id = (service.get("escalation_policy") or {}).get("id")
    approximations = [
        "PagerDuty's integration keys cannot be kept: senders keep PagerDuty's Events API v2 format and change "
        "the URL and the routing key to those on the new integration's page (Integrations)"
    ]

    def build(ctx: Context) -> Integration:
        return do_create_integration(
            ctx.actor, name=(service.get("name") or service["id"])[:100], kind=Integration.Kind.PAGERDUTY,
            escalation_policy=ctx.get("escalation policy", policy_id) if policy_id else None,
            enabled=service.get("status") != "disabled",
        )  # fmt: skip

    summary = f'service "{service.get("name")}" -> integration of kind "pagerduty"'
    if service.get("status") == "disabled":
        summary += " (disabled)"
    needs = [("escalation policy", policy_id)] if policy_id else []
    return Item("service", service["id"], summary, build, approximations, needs)
