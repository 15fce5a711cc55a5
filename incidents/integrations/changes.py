"""Change events (PagerDuty's /v2/change/enqueue): stored per integration, shown on the incident page.

A change opens nothing and pages nobody. The incident page's *Recent changes* lists those sent
by the integrations of the incident's components from two hours before it started to its end, so
the deploy that broke things is one glance away. The API lists them too (GET /api/v1/changes/ and
/api/v1/incidents/{id}/changes/), and purge() deletes those older than VIGIL_CHANGE_RETENTION_DAYS.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from incidents.models import ChangeEvent, Incident, Integration

from .pagerduty import ParsedChange

RECENT_WINDOW = timedelta(hours=2)
RECENT_LIMIT = 10


def do_record_change(integration: Integration, change: ParsedChange) -> ChangeEvent:
    """Store one change event of INTEGRATION. No timeline row, no audit entry: a change is a fact a
    tool reports, like an alert's repeat, not an action anyone took."""
    return ChangeEvent.objects.create(
        integration=integration,
        summary=change.summary,
        source=change.source,
        timestamp=change.timestamp,
        custom_details=change.custom_details,
        links=change.links,
    )


def filter_changes(
    events: QuerySet[ChangeEvent],
    integration: int | None = None,
    component: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[ChangeEvent]:
    """EVENTS narrowed to one integration's, to those of the integrations attached to COMPONENT,
    and to timestamps from SINCE to UNTIL (both included). The API's filters (api/views.py)."""
    if integration:
        events = events.filter(integration_id=integration)
    if component:
        events = events.filter(integration__in=Integration.objects.filter(components=component).values("pk"))
    if since:
        events = events.filter(timestamp__gte=since)
    if until:
        events = events.filter(timestamp__lte=until)
    return events


def purge(now: datetime | None = None, chunk_size: int = 10_000) -> int:
    """Delete the change events received more than VIGIL_CHANGE_RETENTION_DAYS ago, CHUNK_SIZE at a
    time (short locks), as monitoring.rollups.purge does for raw results. Safe to run twice at once.
    By received_at, not timestamp: a sender's clock (or a back-filled change) cannot get a fresh row
    deleted at once. Returns how many were deleted."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.VIGIL_CHANGE_RETENTION_DAYS)
    deleted = 0
    while True:
        batch = ChangeEvent.objects.filter(received_at__lt=cutoff).order_by().values("pk")[:chunk_size]
        count, _ = ChangeEvent.objects.filter(pk__in=batch).delete()
        deleted += count
        if count < chunk_size:
            return deleted


@dataclass(frozen=True)
class RecentChange:
    event: ChangeEvent
    when: str  # "12 minutes before", "3 minutes after the start"


def recent_changes(incident: Incident, limit: int = RECENT_LIMIT) -> list[RecentChange]:
    """The last LIMIT changes from the integrations of INCIDENT's components, sent from RECENT_WINDOW
    before it started until it ended, newest first. One query (the integrations are a subquery)."""
    integrations = Integration.objects.filter(components__incidents=incident).values("pk")
    end = incident.resolved_at or timezone.now()
    events = (
        ChangeEvent.objects.filter(
            integration__in=integrations,
            timestamp__gte=incident.started_at - RECENT_WINDOW,
            timestamp__lte=end,
        )
        .select_related("integration")
        .order_by("-timestamp", "-pk")[:limit]
    )
    return [RecentChange(event, relative_to(incident, event.timestamp)) for event in events]


def relative_to(incident: Incident, moment) -> str:
    minutes = round((incident.started_at - moment).total_seconds() / 60)
    if minutes == 0:
        return "as it started"
    unit = "minute" if abs(minutes) == 1 else "minutes"
    return f"{minutes} {unit} before" if minutes > 0 else f"{-minutes} {unit} after the start"


def incident_page_panel(sender, incident: Incident, request, **kwargs) -> str:
    """The incident page's *Recent changes* (incidents.signals.incident_page_panels); nothing when
    there are none or the viewer may not see integrations."""
    if not request.user.has_perm("incidents.view_integration"):
        return ""
    changes = recent_changes(incident)
    if not changes:
        return ""
    return render_to_string("incidents/integrations/_recent_changes.html", {"changes": changes}, request=request)
