"""What the incident page's Communications panel shows (comms.receivers.incident_page_panel)."""

from datetime import datetime, timedelta

from django.utils import timezone

from .cadence import cadence_for
from .models import IncidentAudience
from .progress import counts_by_update

PANEL_UPDATES = 5  # the latest ones; the incident's comms page lists them all


def span(seconds: float) -> str:
    """'12 min', '1 h 5 min': as static/vigil.js writes it when it ticks the countdown."""
    seconds = max(0, int(seconds))
    hours, minutes = seconds // 3600, seconds % 3600 // 60
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


def cadence_context(incident, last_update_at: datetime | None, now: datetime) -> dict | None:
    cadence = cadence_for(incident, last_update_at)
    if cadence is None:
        return None
    left = (cadence.due_at - now).total_seconds()
    return {
        "due_at": cadence.due_at,
        "overdue": left <= 0,
        "span": span(abs(left)),
        "every_minutes": cadence.every // timedelta(minutes=1),
    }


def panel_context(incident, now: datetime | None = None) -> dict:
    now = now or timezone.now()
    latest = list(incident.updates.select_related("fanout").order_by("-created_at", "-id")[: PANEL_UPDATES + 1])
    shown = latest[:PANEL_UPDATES]
    counts = counts_by_update(shown)
    updates = []
    for update in shown:
        c = counts[update.pk]
        fanout = getattr(update, "fanout", None)
        preparing = fanout is not None and fanout.planned_at is None
        accepted = c["sent"] + c["delivered"] + c.get("bounced", 0)  # the provider took them
        updates.append({"update": update, "counts": c, "accepted": accepted, "preparing": preparing})
    audience = IncidentAudience.objects.filter(incident=incident).first()
    return {
        "incident": incident,
        "groups": list(audience.groups.all()) if audience else [],
        "updates": updates,
        "more_updates": len(latest) > PANEL_UPDATES,
        "cadence": cadence_context(incident, latest[0].created_at if latest else None, now),
    }
