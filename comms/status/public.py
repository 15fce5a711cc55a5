"""What the public may see, read from the database once per snapshot.

This module is the one gate between Vigil's data and the status page: everything rendered
(HTML, Statuspage JSON, feeds, the export) is made from the plain objects it returns, which
carry only public fields:

- components marked public, and the groups holding at least one of them;
- incidents with at least one public update (an IncidentUpdate), shown with their title,
  public status, impact, times, public updates and public components; never their summary,
  notes, timeline, roles, people, alerts, dedup key or war-room links;
- scheduled maintenances (written for customers), with their public components only;
- the branding;
- for a component an unpublished incident made non-operational (a monitor opened it, nobody has
  posted a public update yet), VIGIL_STATUS_MONITOR_COMPONENTS says what the public sees: "show"
  its status with a note saying the problem is being looked into (never the incident's title),
  or "hold" it at operational until a responder publishes;
- what other apps add to an incident's page through comms.status.incident_extras (a published
  post-mortem's public summary and public timeline entries), in one bulk call.
"""

import re
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q

from comms.models import MaintenanceStatus, MaintenanceUpdate, ScheduledMaintenance, StatusPageBranding
from incidents.models import (
    Component,
    ComponentGroup,
    ComponentStatus,
    Incident,
    IncidentComponent,
    IncidentUpdate,
    PublicStatus,
    Source,
    Status,
)

from . import incident_extras
from .public_types import (
    Branding,
    PublicComponent,
    PublicEvent,
    PublicGroup,
    PublicState,
    PublicUpdate,
)
from .uptime_bars import attach_bars

ACCENT = re.compile(r"#[0-9a-fA-F]{6}")
DEFAULT_ACCENT = "#3056d3"
# What a component turned non-operational by an incident with no public update yet says (mode "show").
DETECTED_NOTE = "Our monitoring detected a problem; we are investigating."
INVESTIGATING_NOTE = "We are investigating a problem; an update will follow shortly."
DETECTING_SOURCES = {Source.MONITOR, Source.ALERT}


def history_days() -> int:
    return settings.VIGIL_STATUS_HISTORY_DAYS


def page_url() -> str:
    """The status page's public address, with a trailing slash (links in JSON and feeds)."""
    url = settings.VIGIL_STATUS_URL or f"{settings.VIGIL_BASE_URL}/status/"
    return url if url.endswith("/") else url + "/"


# --- Reading ---------------------------------------------------------------------------------------


def read(now: datetime | None = None, url: str | None = None) -> PublicState:
    """Everything public, as of NOW, for a page served at URL (default: page_url()).

    About fifteen queries, whatever the number of incidents, components and monitors."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    components = _components()
    by_id = {c.id: c for c in components}
    incidents = _incidents(now, by_id)
    maintenances = _maintenances(now, by_id)
    _explain_or_hold(components, incidents)
    attach_bars(components, incidents, maintenances, now)
    groups, ungrouped = _grouped(components)
    return PublicState(
        taken_at=now,
        page_url=(url.rstrip("/") + "/") if url else page_url(),
        branding=_branding(),
        groups=groups,
        ungrouped=ungrouped,
        incidents=incidents,
        maintenances=maintenances,
    )


def _branding() -> Branding:
    branding = StatusPageBranding.current()
    # Checked again here: a row saved without its form's validation loses the bad parts, not the page.
    try:
        links = branding.links()
    except ValidationError:
        links = []
    try:
        support_link = branding.support_link()
    except ValidationError:
        support_link = ""
    accent = branding.accent_colour if ACCENT.fullmatch(branding.accent_colour or "") else DEFAULT_ACCENT
    logo = branding.logo_url if branding.logo_url.startswith(("https://", "http://")) else ""
    return Branding(
        name=branding.name,
        page_id=branding.page_id,
        logo_url=logo,
        accent_colour=accent,
        links=links,
        support_contact=branding.support_contact if support_link else "",
        support_link=support_link,
        updated_at=branding.updated_at,
    )


def _components() -> list[PublicComponent]:
    rows = Component.objects.filter(public=True).order_by("position", "name")
    return [
        PublicComponent(
            id=c.pk,
            name=c.name,
            description=c.description,
            status=c.status,
            position=c.position,
            group_id=c.group_id,
            created_at=c.created_at,
            updated_at=c.updated_at,
        )
        for c in rows
    ]


def _explain_or_hold(components: list[PublicComponent], incidents: list[PublicEvent]) -> None:
    """A component whose status comes only from unresolved incidents nobody has published (a monitor
    opened them): with VIGIL_STATUS_MONITOR_COMPONENTS "show" it keeps its status and says the problem
    is being looked into; with "hold" it shows operational until a public update is posted. One query.
    A component set by hand, with no incident, or under maintenance, is shown as it is."""
    published = {c.id for event in incidents if not event.is_resolved for c in event.components}
    candidates = {
        c.id: c
        for c in components
        if c.status not in (ComponentStatus.OPERATIONAL, ComponentStatus.MAINTENANCE) and c.id not in published
    }
    if not candidates:
        return
    unpublished = (
        IncidentComponent.objects.filter(component_id__in=list(candidates), incident__updates__isnull=True)
        .exclude(incident__status=Status.RESOLVED)
        .values_list("component_id", "incident__source")
    )
    sources: dict[int, set[str]] = defaultdict(set)
    for component_id, source in unpublished:
        sources[component_id].add(source)
    hold = settings.VIGIL_STATUS_MONITOR_COMPONENTS == "hold"
    for component_id, found in sources.items():
        component = candidates[component_id]
        if hold:
            component.status = ComponentStatus.OPERATIONAL
        else:
            component.note = DETECTED_NOTE if found & DETECTING_SOURCES else INVESTIGATING_NOTE


def _grouped(components: list[PublicComponent]) -> tuple[list[PublicGroup], list[PublicComponent]]:
    members: dict[int, list[PublicComponent]] = defaultdict(list)
    ungrouped = []
    for component in components:
        (members[component.group_id] if component.group_id else ungrouped).append(component)
    groups = [
        PublicGroup(
            id=g.pk,
            name=g.name,
            description=g.description,
            position=g.position,
            created_at=g.created_at,
            updated_at=g.updated_at,
            components=members[g.pk],
        )
        for g in ComponentGroup.objects.filter(pk__in=list(members)).order_by("position", "name")
    ]
    return groups, ungrouped


def _incidents(now: datetime, components: dict[int, PublicComponent]) -> list[PublicEvent]:
    since = now - timedelta(days=history_days())
    rows = (
        Incident.objects.filter(updates__isnull=False)
        .filter(Q(started_at__gte=since) | ~Q(status=Status.RESOLVED))
        .distinct()
        .order_by("-started_at", "-id")
        .only("id", "title", "status", "impact", "started_at", "monitoring_at", "resolved_at")
        .prefetch_related(
            Prefetch("updates", queryset=IncidentUpdate.objects.order_by("-created_at", "-id")),
            Prefetch("affected", queryset=IncidentComponent.objects.filter(component__public=True).order_by("pk")),
        )
    )
    events = [_incident(incident, components) for incident in rows]
    extras = incident_extras.collect([int(event.id) for event in events])
    for event in events:
        event.sections = extras.get(int(event.id), [])
    return events


def _incident(incident: Incident, components: dict[int, PublicComponent]) -> PublicEvent:
    updates = [_update(u, components) for u in incident.updates.all()]
    affected = [components[ic.component_id] for ic in incident.affected.all() if ic.component_id in components]
    public_status = incident.public_status
    times = [incident.started_at, incident.monitoring_at, incident.resolved_at, *(u.updated_at for u in updates)]
    return PublicEvent(
        id=str(incident.pk),
        kind="incident",
        name=incident.title,
        status=public_status,
        status_label=PublicStatus(public_status).label,
        impact=incident.impact,
        started_at=incident.started_at,
        created_at=incident.started_at,
        updated_at=max(t for t in times if t is not None),
        monitoring_at=incident.monitoring_at,
        resolved_at=incident.resolved_at if incident.status == Status.RESOLVED else None,
        components=affected,
        updates=updates,
    )


def _update(update: IncidentUpdate, components: dict[int, PublicComponent]) -> PublicUpdate:
    # Stored when posted; filtered again now, in case a component has since been made private.
    affected = []
    for entry in update.affected_components or []:
        code = str(entry.get("code", ""))
        if code.isdigit() and int(code) in components:
            affected.append(
                {"code": code, "name": components[int(code)].name, "new_status": entry.get("new_status", "")}
            )
    return PublicUpdate(
        id=str(update.pk),
        status=update.status,
        status_label=PublicStatus(update.status).label,
        body=update.message,
        created_at=update.created_at,
        updated_at=update.updated_at,
        affected=affected,
    )


def _maintenances(now: datetime, components: dict[int, PublicComponent]) -> list[PublicEvent]:
    since = now - timedelta(days=history_days())
    rows = (
        ScheduledMaintenance.objects.filter(~Q(status=MaintenanceStatus.COMPLETED) | Q(ends_at__gte=since))
        .order_by("-starts_at", "-id")
        .prefetch_related(
            Prefetch("components", queryset=Component.objects.filter(public=True).only("id")),
            Prefetch("updates", queryset=MaintenanceUpdate.objects.order_by("-created_at", "-id")),
        )
    )
    return [_maintenance(m, components) for m in rows]


def maintenance_id(pk: int) -> str:
    return f"m{pk}"


def _maintenance(maintenance: ScheduledMaintenance, components: dict[int, PublicComponent]) -> PublicEvent:
    affected = [components[c.pk] for c in maintenance.components.all() if c.pk in components]
    new_status = ComponentStatus.MAINTENANCE if maintenance.is_active else ComponentStatus.OPERATIONAL
    affected_entries = [{"code": str(c.id), "name": c.name, "new_status": new_status} for c in affected]
    updates = [
        PublicUpdate(
            id=f"mu{u.pk}",
            status=u.status,
            status_label=MaintenanceStatus(u.status).label,
            body=u.message,
            created_at=u.created_at,
            updated_at=u.updated_at,
            affected=affected_entries,
        )
        for u in maintenance.updates.all()
    ]
    status = maintenance.status
    return PublicEvent(
        id=maintenance_id(maintenance.pk),
        kind="maintenance",
        name=maintenance.title,
        status=status,
        status_label=MaintenanceStatus(status).label,
        impact="maintenance",
        started_at=maintenance.started_at or maintenance.starts_at,
        created_at=maintenance.created_at,
        updated_at=max([maintenance.updated_at, *(u.updated_at for u in updates)]),
        monitoring_at=None,
        resolved_at=maintenance.completed_at if status == MaintenanceStatus.COMPLETED else None,
        components=affected,
        updates=updates,
        scheduled_for=maintenance.starts_at,
        scheduled_until=maintenance.ends_at,
        message=maintenance.message,
    )
