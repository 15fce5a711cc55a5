"""comms listens to incidents (incidents never imports comms). Connected in CommsConfig.ready()."""

import logging

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from . import audience, outbox, queueing, services

logger = logging.getLogger(__name__)


def on_update_posted(sender, incident, actor, update, **kwargs) -> None:
    services.start_fanout(update)


def on_page_requested(sender, page, **kwargs) -> None:
    """Deliver a page by its person's notification rules; rules with a delay wait for the sweeper."""
    with transaction.atomic():
        kinds = outbox.plan_page(page)
    queueing.queue_page_sends(kinds)  # the page lane: its own task and queue, never behind bulk work


def update_audience(sender, incident, components=None, status: str = "", message: str = "", **kwargs):
    """incidents.signals.update_audience: who a public update would reach now, by medium, when the next is
    due (the cadence), and with a message, a preview of what is sent (email subject and body, SMS)."""
    from incidents.signals import UpdateAudience

    from .panel import cadence_context, update_preview

    reach = audience.count(incident, None if components is None else list(components))
    latest = incident.updates.order_by("-created_at").values_list("created_at", flat=True).first()
    cadence = cadence_context(incident, latest, timezone.now())
    return UpdateAudience(
        stakeholders=reach.stakeholders,
        subscribers=reach.subscribers,
        endpoints=reach.endpoints,
        by_medium=dict(reach.by_medium),
        next_update_due=cadence["due_at"] if cadence else None,
        every_minutes=cadence["every_minutes"] if cadence else None,
        preview=update_preview(incident, components, status, message) if message.strip() else {},
    )


def incident_figures(sender, incident, **kwargs) -> dict:
    """incidents.signals.incident_figures: what the outbox did with the incident's public updates."""
    from .progress import notification_figures

    return {"notifications": notification_figures(incident)}


def incident_page_panel(sender, incident, request, **kwargs) -> str:
    """The incident page's Communications panel: the update cadence, who hears it, each update's deliveries."""
    from .panel import panel_context

    return render_to_string("comms/_incident_panel.html", panel_context(incident), request=request)
