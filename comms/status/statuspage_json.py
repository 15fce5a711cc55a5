"""The status page as Atlassian Statuspage's public API v2 gives it, so its clients work unchanged.

Documents (paths under the origin's root, as Statuspage serves them):
api/v2/summary.json, status.json, components.json, incidents.json, incidents/unresolved.json,
scheduled-maintenances.json, scheduled-maintenances/upcoming.json and .../active.json.

Field names, value sets and shapes are Statuspage's:
- page {id, name, url, time_zone, updated_at}
- status {indicator: none|minor|major|critical, description}
- components: groups are components with group: true and the ids of their members in
  `components`; members carry their group's id in group_id (ids are strings, as Statuspage's;
  a group's is "group-<pk>", never a component's)
- incidents and maintenances with their incident_updates, newest first; a maintenance's impact is
  "maintenance", its status scheduled|in_progress|verifying|completed.
Times are ISO 8601 in UTC with milliseconds.
"""

import json
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial

from .public_types import PublicComponent, PublicEvent, PublicGroup, PublicState

RECENT_LIMIT = 50
JSON = "application/json"
TIME_ZONE = "Etc/UTC"


def stamp(value: datetime | None) -> str | None:
    if value is None:
        return None
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def group_id(pk: int) -> str:
    return f"group-{pk}"


class Renderer:
    def __init__(self, state: PublicState):
        self.state = state
        self.page_id = state.branding.page_id
        # Statuspage numbers positions across the page: each group, then its members; then the rest.
        order = [item for g in state.groups for item in (g, *g.components)] + list(state.ungrouped)
        self.positions = {(type(item), item.id): n for n, item in enumerate(order, start=1)}

    def page(self) -> dict:
        return {
            "id": self.page_id,
            "name": self.state.branding.name,
            "url": self.state.page_url,
            "time_zone": TIME_ZONE,
            "updated_at": stamp(self.state.updated_at),
        }

    def status(self) -> dict:
        return {"indicator": self.state.indicator, "description": self.state.description}

    def components(self) -> list[dict]:
        rows = []
        for group in self.state.groups:
            rows.append(self._group(group))
            rows += [self._component(c) for c in group.components]
        return rows + [self._component(c) for c in self.state.ungrouped]

    def _group(self, group: PublicGroup) -> dict:
        return {
            "id": group_id(group.id),
            "page_id": self.page_id,
            "group_id": None,
            "name": group.name,
            "description": group.description or None,
            "position": self.positions[(PublicGroup, group.id)],
            "status": group.status,
            "showcase": False,
            "only_show_if_degraded": False,
            "start_date": None,
            "group": True,
            "components": [str(c.id) for c in group.components],
            "created_at": stamp(group.created_at),
            "updated_at": stamp(group.updated_at),
        }

    def _component(self, component: PublicComponent) -> dict:
        return {
            "id": str(component.id),
            "page_id": self.page_id,
            "group_id": group_id(component.group_id) if component.group_id else None,
            "name": component.name,
            "description": component.description or None,
            "position": self.positions[(PublicComponent, component.id)],
            "status": component.status,
            "showcase": True,
            "only_show_if_degraded": False,
            "start_date": component.created_at.astimezone(UTC).date().isoformat(),
            "group": False,
            "components": [],
            "created_at": stamp(component.created_at),
            "updated_at": stamp(component.updated_at),
        }

    def event(self, event: PublicEvent) -> dict:
        row = {
            "id": event.id,
            "page_id": self.page_id,
            "name": event.name,
            "status": event.status,
            "impact": event.impact,
            "shortlink": f"{self.state.page_url}{event.path}",
            "started_at": stamp(event.started_at),
            "created_at": stamp(event.created_at),
            "updated_at": stamp(event.updated_at),
            "monitoring_at": stamp(event.monitoring_at),
            "resolved_at": stamp(event.resolved_at),
            "components": [self._component(c) for c in event.components],
            "incident_updates": self._updates(event),
        }
        if event.kind == "maintenance":
            row["scheduled_for"] = stamp(event.scheduled_for)
            row["scheduled_until"] = stamp(event.scheduled_until)
        return row

    def _updates(self, event: PublicEvent) -> list[dict]:
        rows = []
        # Oldest first to know each component's status before an update; listed newest first.
        previous: dict[str, str] = {}
        for update in reversed(event.updates):
            affected = []
            for entry in update.affected:
                code = entry["code"]
                affected.append(
                    {
                        "code": code,
                        "name": entry["name"],
                        "old_status": previous.get(code, "operational"),
                        "new_status": entry["new_status"],
                    }
                )
                previous[code] = entry["new_status"]
            rows.append(
                {
                    "id": update.id,
                    "incident_id": event.id,
                    "status": update.status,
                    "body": update.body,
                    "created_at": stamp(update.created_at),
                    "updated_at": stamp(update.updated_at),
                    "display_at": stamp(update.created_at),
                    "affected_components": affected,
                }
            )
        return rows[::-1]

    # --- Documents --------------------------------------------------------------------------------

    def documents(self) -> dict[str, dict]:
        page, state = self.page(), self.state
        incidents = [self.event(e) for e in state.incidents]
        unresolved = [self.event(e) for e in state.unresolved_incidents]
        upcoming = [self.event(m) for m in state.upcoming_maintenances]
        active = [self.event(m) for m in state.active_maintenances]
        components = self.components()
        return {
            "api/v2/summary.json": {
                "page": page,
                "components": components,
                "incidents": unresolved,
                "scheduled_maintenances": active + upcoming,
                "status": self.status(),
            },
            "api/v2/status.json": {"page": page, "status": self.status()},
            "api/v2/components.json": {"page": page, "components": components},
            "api/v2/incidents.json": {"page": page, "incidents": incidents[:RECENT_LIMIT]},
            "api/v2/incidents/unresolved.json": {"page": page, "incidents": unresolved},
            "api/v2/scheduled-maintenances.json": {
                "page": page,
                "scheduled_maintenances": [self.event(m) for m in state.maintenances[:RECENT_LIMIT]],
            },
            "api/v2/scheduled-maintenances/upcoming.json": {"page": page, "scheduled_maintenances": upcoming},
            "api/v2/scheduled-maintenances/active.json": {"page": page, "scheduled_maintenances": active},
        }


def documents(state: PublicState) -> dict[str, tuple[str, Callable[[], bytes]]]:
    """{path: (content type, render)} of every JSON document; each is serialised when called (snapshot.build)."""
    return {path: (JSON, partial(_dump, body)) for path, body in Renderer(state).documents().items()}


def _dump(body: dict) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
