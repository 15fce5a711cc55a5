"""Uptime Kuma -> Vigil: monitors, status page groups as components, and what cannot come along.

- Each status page group becomes a component group, and each monitor shown in it a component
  (named after the monitor) with the monitor attached. A name Vigil already uses is joined, not
  duplicated (names are unique in Vigil).
- Monitors of the kinds Vigil has become monitors (importers.uptime_kuma.mapping); a paused one
  is imported paused. The others, notifications, tags and history are listed as "cannot map".
"""

import json
from collections import Counter

from django.core.exceptions import ValidationError

from incidents.component_actions import do_create_component, do_create_component_group
from incidents.models import Component, ComponentGroup
from monitoring.models import Monitor
from monitoring.services import do_create_monitor, do_pause

from ..base import Context, Importer, Item, Plan, describe
from .mapping import Unmappable, map_monitor
from .reader import KumaData, read

# Why each kind of Kuma notification has no Vigil counterpart, and what to do instead.
PAGING = "Vigil pages the people on call (schedules and escalation policies) by their own contact methods"
NOTIFICATION_ADVICE = {
    "smtp": f"{PAGING}: add the address to an on-call person, or as a stakeholder for incident updates",
    "webhook": f"{PAGING}; for machines, subscribe a webhook to the status page",
    "slack": f"{PAGING}; incident updates can go to a Slack incoming webhook through comms",
}
NOT_IMPORTED_WHY = {
    "heartbeat": "check history is not imported: Vigil's uptime figures start at the import",
    "maintenance": "maintenance windows are not imported: plan them again on the monitors or components",
    "incident": "status page incidents are not imported",
    "proxy": "Vigil's probes connect directly: there is no proxy setting",
    "docker_host": "Vigil has no Docker container monitor",
    "api_key": "API keys are not imported: Vigil makes its own (manage.py createapikey)",
}


class UptimeKumaImporter(Importer):
    name = "uptime-kuma"
    help = "Uptime Kuma's SQLite database (kuma.db), read-only: monitors, status page groups"

    @classmethod
    def add_arguments(cls, parser) -> None:
        parser.add_argument("--db", help="uptime-kuma: the path of its kuma.db (opened read-only).")

    def build_plan(self) -> Plan:
        data = read(self.options.get("db") or "")
        plan = Plan(source=self.source)
        components = self._plan_components(data, plan)
        for row in data.monitors:
            self._plan_monitor(row, components.get(row["id"]), plan)
        self._plan_leftovers(data, plan)
        return plan

    def _plan_components(self, data: KumaData, plan: Plan) -> dict[int, str]:
        """Component groups and components from the status pages; monitor id -> component source id."""
        pages = {page["id"]: page for page in data.status_pages}
        group_names = Counter(group["name"] for group in data.groups)
        used: set[str] = set()
        component_of: dict[int, str] = {}
        monitors = {row["id"]: row for row in data.monitors}
        for position, group in enumerate(data.groups):
            page = pages.get(group["status_page_id"])
            if page is None:
                continue
            name = group["name"] if group_names[group["name"]] == 1 else f"{group['name']} ({page['title']})"
            group_id = str(group["id"])
            plan.items.append(_group_item(group_id, name[:100], position))
            for monitor_id in data.group_monitors.get(group["id"], []):
                row = monitors.get(monitor_id)
                if row is None:
                    continue
                if monitor_id in component_of:
                    plan.cannot(
                        f'monitor "{row["name"]}" on status page "{page["title"]}"',
                        "a Vigil component belongs to one group: it stays in the first group it was found in",
                    )
                    continue
                name = (row["name"] or f"Monitor {monitor_id}")[:100]
                if name in used:
                    name = f"{name[:90]} #{monitor_id}"
                used.add(name)
                component_of[monitor_id] = str(monitor_id)
                plan.items.append(_component_item(str(monitor_id), name, group_id, bool(page.get("published", 1)), row))
        return component_of

    def _plan_monitor(self, row: dict, component_id: str | None, plan: Plan) -> None:
        what = f'monitor "{row.get("name")}" (Kuma #{row["id"]}, {row.get("type")})'
        try:
            mapped = map_monitor(row)
        except Unmappable as exc:
            plan.cannot(what, str(exc))
            return
        try:
            Monitor(**mapped.settings).full_clean()
        except ValidationError as exc:
            plan.invalid.append((what, describe(exc)))
            return
        settings, paused = mapped.settings, mapped.paused

        def build(ctx: Context) -> Monitor:
            component = ctx.get("component", component_id) if component_id else None
            monitor = do_create_monitor(ctx.actor, component=component, **settings)
            if paused:
                monitor = do_pause(ctx.actor, monitor)
            return monitor

        summary = f"{what} -> {Monitor.Kind(settings['kind']).label} {_target(settings)}"
        if paused:
            summary += ", paused"
        plan.items.append(
            Item(
                kind="monitor",
                source_id=str(row["id"]),
                summary=summary,
                build=build,
                approximations=mapped.approximations,
                needs=[("component", component_id)] if component_id else [],
            )
        )

    def _plan_leftovers(self, data: KumaData, plan: Plan) -> None:
        users = Counter(n for ids in data.notifications_of.values() for n in ids)
        for row in data.notifications:
            kind = _notification_type(row)
            advice = NOTIFICATION_ADVICE.get(kind, f"Vigil has no {kind} channel; {PAGING}")
            plan.cannot(f'notification "{row.get("name")}" ({kind}, {users[row["id"]]} monitors)', advice)
        tags = sorted({tag for names in data.tags_of.values() for tag in names})
        if tags:
            plan.cannot(f"tags {', '.join(tags)}", "Vigil monitors have no tags: components group them")
        for table, count in data.counts.items():
            if count:
                plan.cannot(f"{count} {table} rows", NOT_IMPORTED_WHY[table])


def _group_item(group_id: str, name: str, position: int) -> Item:
    def build(ctx: Context) -> ComponentGroup:
        existing = ComponentGroup.objects.filter(name=name).first()
        return existing or do_create_component_group(ctx.actor, name=name, position=position)

    approximations = []
    if ComponentGroup.objects.filter(name=name).exists():
        approximations.append(f'joins the Vigil component group "{name}" that exists already')
    return Item("component group", group_id, f'status page group "{name}" -> component group', build, approximations)


def _component_item(source_id: str, name: str, group_id: str, public: bool, row: dict) -> Item:
    def build(ctx: Context) -> Component:
        existing = Component.objects.filter(name=name).first()
        if existing:
            return existing
        group = ctx.get("component group", group_id)
        return do_create_component(
            ctx.actor, name=name, group=group, public=public, description=row.get("description") or ""
        )

    approximations = []
    if Component.objects.filter(name=name).exists():
        approximations.append(f'joins the Vigil component "{name}" that exists already')
    summary = f'status page entry "{name}" -> component{"" if public else " (not public)"}'
    return Item("component", source_id, summary, build, approximations, needs=[("component group", group_id)])


def _notification_type(row: dict) -> str:
    try:
        config = json.loads(row.get("config") or "{}")
    except ValueError:
        config = {}
    return str(config.get("type") or "unknown") if isinstance(config, dict) else "unknown"


def _target(settings: dict) -> str:
    if settings["kind"] == Monitor.Kind.HEARTBEAT:
        return f"every {settings['period_seconds']} s"
    if settings["kind"] == Monitor.Kind.TCP:
        return f"{settings['target']}:{settings.get('port')}"
    if settings["kind"] == Monitor.Kind.DNS:
        return f"{settings['record_type']} {settings['target']}"
    return f"{settings.get('method', 'GET')} {settings['target']}"
