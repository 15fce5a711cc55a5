"""What the reputation watch adds to other apps' pages. Connected in MonitoringConfig.ready()."""

from django.template.loader import render_to_string
from django.urls import reverse

from .models import Mention, MentionState
from .stats import incident_figures

PANEL_MENTIONS = 5


def incident_page_panel(sender, incident, request, **kwargs) -> str:
    """The incident page's Mentions panel (incidents.signals.incident_page_panels): the mentions
    linked to it with their negative share, those waiting for an answer, and all mentions of us
    posted while it was open."""
    if not request.user.has_perm("monitoring.view_mention"):
        return ""
    feed = reverse("monitoring:reputation:feed")
    context = {
        "incident": incident,
        "figures": incident_figures(incident),
        "mentions": Mention.objects.filter(incident=incident).select_related("brand")[:PANEL_MENTIONS],
        "all_url": f"{feed}?incident={incident.pk}",
        "queue_url": f"{reverse('monitoring:reputation:queue')}?incident={incident.pk}",
        "needs_response": MentionState.NEEDS_RESPONSE,
        "next": request.get_full_path(),
    }
    return render_to_string("reputation/_incident_panel.html", context, request=request)
