"""What the incident page's Communications panel shows (comms.receivers.incident_page_panel)."""

from datetime import datetime, timedelta

from django.utils import timezone

from incidents.models import Component, IncidentUpdate, PublicStatus

from . import messages, templating
from .cadence import cadence_for
from .models import Event, IncidentAudience
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


def update_preview(incident, components: dict | None, status: str, message: str) -> dict[str, str]:
    """What a public update with these fields would send (email subject and body, SMS), rendered by the
    same templates as the fan-out (comms.messages), from an update that is not saved. COMPONENTS:
    component id -> status, the affected components it would leave (None: as they are)."""
    if components is None:
        affected = [
            {"code": str(ic.component_id), "name": ic.component.name, "new_status": ic.status}
            for ic in incident.affected.select_related("component")
            if ic.component.public
        ]
    else:
        public = Component.objects.filter(pk__in=list(components), public=True).order_by("pk")
        affected = [{"code": str(c.pk), "name": c.name, "new_status": components[c.pk]} for c in public]
    update = IncidentUpdate(incident=incident, status=status, message=message.strip(), affected_components=affected)
    if status == PublicStatus.RESOLVED:
        event = Event.RESOLVED
    else:
        event = Event.UPDATE if incident.updates.exists() else Event.OPENED
    context = messages.update_context(update)
    payload = messages.webhook_payload(update, context["status_url"])
    texts = messages.compose(event, context, templating.sources(event), payload)
    return {"subject": texts.subject, "email": texts.bodies.get("email", ""), "sms": texts.bodies.get("sms", "")}
