"""comms listens to incidents (incidents never imports comms). Connected in CommsConfig.ready()."""

import logging

from django.db import transaction
from django.template.loader import render_to_string

from . import outbox, services

logger = logging.getLogger(__name__)


def on_update_posted(sender, incident, actor, update, **kwargs) -> None:
    services.start_fanout(update)


def on_page_requested(sender, page, **kwargs) -> None:
    """Deliver a page by its person's notification rules; rules with a delay wait for the sweeper."""
    with transaction.atomic():
        kinds = outbox.plan_page(page)
    from .tasks import queue_page_sends

    queue_page_sends(kinds)  # the page lane: its own task and queue, never behind bulk work


def incident_page_panel(sender, incident, request, **kwargs) -> str:
    """The incident page's Communications panel: the update cadence, who hears it, each update's deliveries."""
    from .panel import panel_context

    return render_to_string("comms/_incident_panel.html", panel_context(incident), request=request)
