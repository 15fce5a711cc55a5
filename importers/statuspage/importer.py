"""Statuspage -> Vigil: components and groups, past incidents, scheduled maintenances, subscribers.

- Each component group becomes a component group and each component a component (public when
  Statuspage showcases it). A name Vigil already uses is joined, not duplicated.
- Each resolved incident becomes a resolved Vigil incident with its public updates, affected
  components and times as they were (incidents.import_actions): nobody is paged and nothing is
  sent. An incident still open at Statuspage is listed as "cannot map".
- Each scheduled maintenance (an incident with scheduled_for) becomes a scheduled maintenance in
  the same status, its updates kept; subscribers are not told again (comms.status.import_actions).
- Each email, SMS and webhook subscriber becomes a subscriber, confirmed when it was confirmed at
  Statuspage, for the same components (all of them: every component); nothing is sent to it.
"""

from collections import Counter

from django.core.exceptions import ValidationError
from django.utils import timezone

from comms.models import Subscriber
from comms.status.import_actions import do_import_maintenance, do_import_subscriber
from incidents.component_actions import do_create_component, do_create_component_group
from incidents.import_actions import PastUpdate, do_import_incident
from incidents.models import STATUS_SEVERITY, Component, ComponentGroup, ComponentStatus

from ..base import Context, Importer, Item, Key, Plan
from .client import DEFAULT_URL, StatuspageData, read
from .mapping import (
    CLOSED,
    IMPACT,
    MAINTENANCE_STATUSES,
    SEVERITY,
    Unmappable,
    describe_invalid,
    impact_of,
    subscriber_address,
    update_status,
    when,
)

ORIGIN = "Statuspage"
NOT_IMPORTED = (
    "the page's settings, branding, custom domain, metrics, templates and team members are not imported: "
    "set the page up in Vigil (status page branding)"
)


class StatuspageImporter(Importer):
    name = "statuspage"
    help = "Atlassian Statuspage's REST API v1: components, incident history, maintenances, subscribers"

    @classmethod
    def add_arguments(cls, parser) -> None:
        parser.add_argument("--page-id", help="statuspage: the page's id (in its API settings).")
        # --api-key and --api-url are PagerDuty's too (listed before this one in importers.sources): one
        # option serves both. No default URL on the parser: each source falls back to its own.
        if "--api-key" not in parser._option_string_actions:
            parser.add_argument("--api-key", help="statuspage: an API key (in the page's API settings).")
        if "--api-url" not in parser._option_string_actions:
            parser.add_argument("--api-url", help=f"statuspage: the API's address (default {DEFAULT_URL}).")
        parser.set_defaults(api_url=None)

    def build_plan(self) -> Plan:
        o = self.options
        data = read(o.get("page_id") or "", o.get("api_key") or "", o.get("api_url") or DEFAULT_URL)
        plan = Plan(source=self.source)
        known = self._plan_components(data, plan)
        for row in data.incidents:
            if row.get("scheduled_for") or row.get("status") in MAINTENANCE_STATUSES:
                self._plan_maintenance(row, known, plan)
            elif row.get("status") in CLOSED:
                self._plan_incident(row, known, plan)
            else:
                plan.cannot(
                    f'incident "{row.get("name")}" ({row.get("status")})',
                    "still open at Statuspage: resolve it there first, or declare it in Vigil",
                )
        self._plan_subscribers(data, set(known.values()), plan)
        plan.cannot("page settings", NOT_IMPORTED)
        return plan

    def _plan_components(self, data: StatuspageData, plan: Plan) -> dict[str, str]:
        """Groups and components; Statuspage component id -> its source id (itself) for those planned."""
        groups = {str(row["id"]): row for row in data.components if row.get("group")}
        for position, row in enumerate(groups.values()):
            plan.items.append(_group_item(str(row["id"]), (row.get("name") or "Group")[:100], row, position))
        names = Counter(row.get("name") for row in data.components if not row.get("group"))
        known: dict[str, str] = {}
        for row in data.components:
            if row.get("group"):
                continue
            group = groups.get(str(row.get("group_id") or ""))
            name = row.get("name") or f"Component {row['id']}"
            if names[row.get("name")] > 1 and group:
                name = f"{name} ({group.get('name')})"
            known[str(row["id"])] = str(row["id"])
            plan.items.append(_component_item(row, name[:100], str(group["id"]) if group else None))
        return known

    def _plan_incident(self, row: dict, known: dict[str, str], plan: Plan) -> None:
        notes: list[str] = []
        ids = _component_ids(row, known, notes)
        started = when(row.get("started_at")) or when(row.get("created_at"))
        updates = [
            (update_status(u.get("status") or "", notes), u) for u in sorted(row.get("incident_updates") or [], key=_at)
        ]
        resolved = when(row.get("resolved_at")) or (_at_time(updates[-1][1]) if updates else None) or started
        if started is None:
            plan.invalid.append((f'incident "{row.get("name")}"', "it has no start time"))
            return
        if resolved < started:
            notes.append("resolved before it started at Statuspage: resolved when it started")
            resolved = started
        if row.get("postmortem_body"):
            notes.append("its post-mortem text is not imported: write it as a Vigil post-mortem")
        impact = impact_of(row)
        title = (row.get("name") or "Incident")[:200]

        def build(ctx: Context):
            comp = {cid: ctx.get("component", cid) for cid in ids}
            past = [PastUpdate(status, u.get("body") or "", _at_time(u), _affected(u, comp)) for status, u in updates]
            return do_import_incident(
                ctx.actor,
                title=title,
                started_at=started,
                resolved_at=resolved,
                severity=SEVERITY.get(impact, SEVERITY["minor"]),
                impact=IMPACT.get(impact, IMPACT["minor"]),
                components=_worst(past, [comp[cid] for cid in ids]),
                updates=past,
                origin=ORIGIN,
            )

        summary = f'incident "{title}" ({started:%Y-%m-%d}, {impact}, {len(updates)} updates) -> resolved incident'
        plan.items.append(
            Item("incident", str(row["id"]), summary, build, notes, needs=[("component", cid) for cid in ids])
        )

    def _plan_maintenance(self, row: dict, known: dict[str, str], plan: Plan) -> None:
        notes: list[str] = []
        ids = _component_ids(row, known, notes)
        what = f'maintenance "{row.get("name")}"'
        starts, ends = when(row.get("scheduled_for")), when(row.get("scheduled_until"))
        if starts is None or ends is None or ends <= starts:
            plan.invalid.append(
                (what, "its window (scheduled_for, scheduled_until) is missing or ends before it starts")
            )
            return
        status = row.get("status") if row.get("status") in MAINTENANCE_STATUSES else "completed"
        updates = sorted(row.get("incident_updates") or [], key=_at)
        lines = [
            (u["status"] if u.get("status") in MAINTENANCE_STATUSES else status, u.get("body") or "", _at_time(u))
            for u in updates
        ]
        message = (updates[0].get("body") if updates else "") or row.get("name") or "Scheduled maintenance"
        started = next((at for s, _, at in lines if s == "in_progress"), starts)
        completed = when(row.get("resolved_at")) or next((at for s, _, at in lines if s == "completed"), ends)
        created = when(row.get("created_at")) or starts
        if status == "scheduled":
            notes.append("Vigil starts and completes it on time and tells subscribers then (not of its scheduling)")

        def build(ctx: Context):
            return do_import_maintenance(
                ctx.actor,
                title=(row.get("name") or "Scheduled maintenance")[:200],
                message=message,
                components=[c for c in (ctx.get("component", cid) for cid in ids) if c is not None],
                starts_at=starts,
                ends_at=ends,
                status=status,
                created_at=created,
                started_at=started,
                completed_at=completed,
                updates=lines,
            )

        summary = f"{what} ({starts:%Y-%m-%d %H:%M} UTC, {status}) -> scheduled maintenance"
        plan.items.append(
            Item("maintenance", str(row["id"]), summary, build, notes, needs=[("component", cid) for cid in ids])
        )

    def _plan_subscribers(self, data: StatuspageData, components: set[str], plan: Plan) -> None:
        seen: set[tuple[str, str]] = set()
        cannot: Counter = Counter()
        reasons: dict[str, str] = {}
        for confirmed, rows in ((True, data.subscribers), (False, data.unconfirmed)):
            for row in rows:
                mode = row.get("mode") or "email"
                try:
                    kind, address = subscriber_address(row)
                except Unmappable as exc:
                    cannot[mode] += 1
                    reasons[mode] = str(exc)
                    continue
                except ValidationError as exc:
                    plan.invalid.append((f"{mode} subscriber {row.get('id')}", describe_invalid(exc)))
                    continue
                if (kind, address) in seen:
                    continue
                seen.add((kind, address))
                plan.items.append(_subscriber_item(row, kind, address, confirmed, components))
        for mode, count in cannot.items():
            plan.cannot(f"{count} {mode} subscribers", reasons[mode])


def _at(update: dict) -> str:
    return update.get("display_at") or update.get("created_at") or ""


def _at_time(update: dict):
    return when(update.get("display_at")) or when(update.get("created_at"))


def _component_ids(row: dict, known: dict[str, str], notes: list[str]) -> list[str]:
    """The Statuspage ids of the components an incident names (its list and its updates'), known ones only."""
    ids = [str(c.get("id") if isinstance(c, dict) else c) for c in row.get("components") or []]
    for update in row.get("incident_updates") or []:
        ids += [str(a.get("code")) for a in update.get("affected_components") or [] if a.get("code")]
    ids = list(dict.fromkeys(ids))
    gone = [cid for cid in ids if cid not in known]
    if gone:
        notes.append(f"{len(gone)} of its components are no longer on the page: left out")
    return [cid for cid in ids if cid in known]


def _affected(update: dict, components: dict) -> dict:
    affected = {}
    for entry in update.get("affected_components") or []:
        component = components.get(str(entry.get("code")))
        if component is not None and entry.get("new_status") in ComponentStatus.values:
            affected[component] = entry["new_status"]
    return affected


def _worst(updates: list[PastUpdate], components: list) -> dict:
    """Each affected component with the worst status the incident's updates gave it (partial outage if none)."""
    worst = {c: ComponentStatus.OPERATIONAL for c in components if c is not None}
    for update in updates:
        for component, status in update.components.items():
            if STATUS_SEVERITY.index(status) < STATUS_SEVERITY.index(worst.get(component, "operational")):
                worst[component] = status
    return {c: ComponentStatus.PARTIAL_OUTAGE if s == ComponentStatus.OPERATIONAL else s for c, s in worst.items()}


def _group_item(source_id: str, name: str, row: dict, position: int) -> Item:
    def build(ctx: Context) -> ComponentGroup:
        existing = ComponentGroup.objects.filter(name=name).first()
        return existing or do_create_component_group(
            ctx.actor, name=name, description=row.get("description") or "", position=position
        )

    notes = []
    if ComponentGroup.objects.filter(name=name).exists():
        notes.append(f'joins the Vigil component group "{name}" that exists already')
    return Item("component group", source_id, f'component group "{name}" -> component group', build, notes)


def _component_item(row: dict, name: str, group_id: str | None) -> Item:
    public = row.get("showcase", True) is not False

    def build(ctx: Context) -> Component:
        existing = Component.objects.filter(name=name).first()
        if existing:
            return existing
        group = ctx.get("component group", group_id) if group_id else None
        return do_create_component(
            ctx.actor,
            name=name,
            group=group,
            public=public,
            description=row.get("description") or "",
            position=int(row.get("position") or 0),
        )

    notes = []
    if Component.objects.filter(name=name).exists():
        notes.append(f'joins the Vigil component "{name}" that exists already')
    if row.get("status") not in (None, ComponentStatus.OPERATIONAL):
        notes.append(f"{row['status']} at Statuspage: operational here until an incident or maintenance says otherwise")
    if row.get("only_show_if_degraded"):
        notes.append("Vigil shows it always (Statuspage: only when degraded)")
    summary = f'component "{name}" -> component{"" if public else " (not public)"}'
    needs: list[Key] = [("component group", group_id)] if group_id else []
    return Item("component", str(row["id"]), summary, build, notes, needs=needs)


def _subscriber_item(row: dict, kind: str, address: str, confirmed: bool, components: set[str]) -> Item:
    chosen = [str(c.get("id") if isinstance(c, dict) else c) for c in row.get("components") or []]
    chosen = [cid for cid in dict.fromkeys(chosen) if cid in components]
    if set(chosen) >= components:
        chosen = []  # every component: Vigil's "no choice", which also covers components added later
    created = when(row.get("created_at"))

    def build(ctx: Context) -> Subscriber:
        at = created or timezone.now()
        return do_import_subscriber(
            ctx.actor,
            kind=kind,
            address=address,
            components=[c for c in (ctx.get("component", cid) for cid in chosen) if c is not None],
            confirmed_at=at if confirmed else None,
            created_at=at,
        )

    notes = []
    if Subscriber.objects.filter(kind=kind, address=address).exists():
        notes.append("subscribed here already: keeps its Vigil subscription")
    if kind == "webhook" and confirmed:
        notes.append("confirmed without a new challenge; Vigil signs its requests with a key the receiver never got")
    state = "confirmed" if confirmed else "not confirmed: it hears nothing until it signs up again"
    summary = f"{kind} subscriber {_masked(kind, address)} -> subscriber ({state})"
    return Item("subscriber", str(row["id"]), summary, build, notes, needs=[("component", cid) for cid in chosen])


def _masked(kind: str, address: str) -> str:
    """Enough of an address to recognise it in a plan, not enough to read it off a terminal log."""
    if kind == "email":
        local, _, domain = address.partition("@")
        return f"{local[:1]}…@{domain}"
    if kind == "sms":
        return f"…{address[-4:]}"
    return address.split("?")[0]
