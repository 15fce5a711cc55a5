"""The plain objects the public status page is made from: what comms.status.public reads, and
what the HTML, the Statuspage JSON, the feeds and the uptime bars are rendered from.

They carry only public fields (comms.status.public is the gate that fills them). A module of
their own, so that the readers (public, uptime_bars) and the renderers (pages, statuspage_json,
feeds) all build on it without importing one another in a circle.
"""

from dataclasses import dataclass, field
from datetime import datetime

from comms.models import MaintenanceStatus
from comms.models.status import updates_label
from incidents.models import STATUS_SEVERITY, ComponentStatus

# What each component status and incident impact make of the page's indicator (Statuspage's
# none/minor/major/critical). Maintenance is not an outage but not "all clear" either: minor.
COMPONENT_INDICATOR = {
    ComponentStatus.OPERATIONAL: "none",
    ComponentStatus.MAINTENANCE: "minor",
    ComponentStatus.DEGRADED: "minor",
    ComponentStatus.PARTIAL_OUTAGE: "major",
    ComponentStatus.MAJOR_OUTAGE: "critical",
}
INDICATORS = ["none", "minor", "major", "critical"]
INDICATOR_DESCRIPTIONS = {
    "none": "All Systems Operational",
    "minor": "Minor Service Outage",
    "major": "Partial System Outage",
    "critical": "Major Service Outage",
}
MAINTENANCE_DESCRIPTION = "Service Under Maintenance"
DEGRADED_DESCRIPTION = "Partially Degraded Service"


@dataclass
class Branding:
    name: str
    page_id: str
    logo_url: str
    accent_colour: str
    links: list[tuple[str, str]]
    support_contact: str
    support_link: str
    updated_at: datetime | None

    @property
    def updates_label(self) -> str:
        """ "Acme status updates", never "Status status updates" (comms.models.status.updates_label)."""
        return updates_label(self.name)


@dataclass
class DayBar:
    day: datetime  # UTC midnight
    uptime: float | None  # None: nothing monitored that day
    incidents: list[str] = field(default_factory=list)  # public incident names
    maintenances: list[str] = field(default_factory=list)


@dataclass
class PublicComponent:
    id: int
    name: str
    description: str
    status: str
    position: int
    group_id: int | None
    created_at: datetime
    updated_at: datetime
    bars: list[DayBar] = field(default_factory=list)  # from the day monitoring began (uptime_bars)
    uptime: float | None = None  # over the last VIGIL_STATUS_UPTIME_DAYS days
    uptime_period: str = ""  # that figure's period in words: "over the last 90 days, to Dec 4"
    monitored: bool = False
    monitored_since: datetime | None = None
    note: str = ""  # why it is not operational while no public incident says so (DETECTED_NOTE)

    @property
    def status_label(self) -> str:
        return ComponentStatus(self.status).label


@dataclass
class PublicGroup:
    id: int
    name: str
    description: str
    position: int
    created_at: datetime
    updated_at: datetime
    components: list[PublicComponent]

    @property
    def status(self) -> str:
        statuses = {c.status for c in self.components}
        return next((s for s in STATUS_SEVERITY if s in statuses), ComponentStatus.OPERATIONAL)

    @property
    def status_label(self) -> str:
        return ComponentStatus(self.status).label


@dataclass
class PublicUpdate:
    id: str
    status: str
    status_label: str
    body: str
    created_at: datetime
    updated_at: datetime
    affected: list[dict]  # {code, name, old_status?, new_status}


@dataclass
class PublicEvent:
    """An incident or a maintenance, as the page, the JSON and the feeds show it."""

    id: str
    kind: str  # "incident" or "maintenance"
    name: str
    status: str
    status_label: str
    impact: str
    started_at: datetime
    created_at: datetime
    updated_at: datetime
    monitoring_at: datetime | None
    resolved_at: datetime | None
    components: list[PublicComponent]
    updates: list[PublicUpdate]  # newest first
    scheduled_for: datetime | None = None
    scheduled_until: datetime | None = None
    message: str = ""
    # What other apps add to an incident's own page (comms.status.incident_extras): a published post-mortem.
    sections: list = field(default_factory=list)

    @property
    def is_resolved(self) -> bool:
        return self.status in ("resolved", "postmortem", "completed")

    @property
    def path(self) -> str:
        """Where its page is, relative to the status page's root."""
        return f"{'incidents' if self.kind == 'incident' else 'maintenance'}/{self.id}/"

    @property
    def ends_at(self) -> datetime | None:
        return self.resolved_at or (self.scheduled_until if self.kind == "maintenance" else None)


@dataclass
class PublicState:
    taken_at: datetime
    page_url: str
    branding: Branding
    groups: list[PublicGroup]
    ungrouped: list[PublicComponent]
    incidents: list[PublicEvent]  # newest first, the history window plus every unresolved one
    maintenances: list[PublicEvent]  # by start, newest first

    @property
    def components(self) -> list[PublicComponent]:
        return [c for g in self.groups for c in g.components] + self.ungrouped

    @property
    def unresolved_incidents(self) -> list[PublicEvent]:
        return [i for i in self.incidents if not i.is_resolved]

    @property
    def active_maintenances(self) -> list[PublicEvent]:
        return [
            m for m in self.maintenances if m.status in (MaintenanceStatus.IN_PROGRESS, MaintenanceStatus.VERIFYING)
        ]

    @property
    def upcoming_maintenances(self) -> list[PublicEvent]:
        upcoming = [m for m in self.maintenances if m.status == MaintenanceStatus.SCHEDULED]
        return sorted(upcoming, key=lambda m: m.scheduled_for)

    @property
    def updated_at(self) -> datetime:
        """The latest public change: what the page's updated_at says (the snapshot's time is taken_at)."""
        times = [self.branding.updated_at] if self.branding.updated_at else []
        times += [c.updated_at for c in self.components]
        times += [g.updated_at for g in self.groups]
        times += [e.updated_at for e in self.incidents + self.maintenances]
        return max(times, default=self.taken_at)

    @property
    def indicator(self) -> str:
        levels = [COMPONENT_INDICATOR[c.status] for c in self.components]
        levels += [i.impact for i in self.unresolved_incidents if i.impact in INDICATORS]
        return max(levels, key=INDICATORS.index, default="none")

    @property
    def description(self) -> str:
        indicator = self.indicator
        statuses = {c.status for c in self.components}
        if indicator == "minor" and not self.unresolved_incidents:
            if statuses & {ComponentStatus.DEGRADED}:
                return DEGRADED_DESCRIPTION
            if ComponentStatus.MAINTENANCE in statuses:
                return MAINTENANCE_DESCRIPTION
        return INDICATOR_DESCRIPTIONS[indicator]
