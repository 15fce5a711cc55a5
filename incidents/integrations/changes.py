"""Change events (PagerDuty's /v2/change/enqueue): stored per integration, shown on the incident page.

A change opens nothing and pages nobody. The incident page's *Recent changes* lists those sent
by the integrations of the incident's components from two hours before it started to its end, so
the deploy that broke things is one glance away.
"""

from dataclasses import dataclass
from datetime import timedelta

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
