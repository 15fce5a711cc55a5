"""What the reputation watch adds to other apps' pages and answers them, through incidents.signals.

Connected in ReputationConfig.ready().
"""

from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.urls import reverse

from incidents.models import Incident, Source
from incidents.signals import Detection

from . import stats
from .models import Mention, MentionSpike, MentionState, Sentiment

PANEL_MENTIONS = 5


def incident_page_panel(sender, incident, request, **kwargs) -> str:
    """The incident page's Mentions panel (incidents.signals.incident_page_panels): the mentions
    linked to it with their negative share, those waiting for an answer, and all mentions of us
    posted while it was open."""
    if not request.user.has_perm("reputation.view_mention"):
        return ""
    feed = reverse("reputation:feed")
    context = {
        "incident": incident,
        "figures": stats.incident_figures(incident),
        "mentions": Mention.objects.filter(incident=incident).select_related("brand")[:PANEL_MENTIONS],
        "all_url": f"{feed}?incident={incident.pk}",
        "queue_url": f"{reverse('reputation:queue')}?incident={incident.pk}",
        "needs_response": MentionState.NEEDS_RESPONSE,
        "next": request.get_full_path(),
    }
    return render_to_string("reputation/_incident_panel.html", context, request=request)


def mention_figures(incident: Incident) -> dict:
    """The mentions linked to the incident: how many, how many negative, how many answered. One query."""
    return Mention.objects.filter(incident=incident).aggregate(
        total=Count("pk"),
        negative=Count("pk", filter=Q(label=Sentiment.NEGATIVE)),
        responded=Count("pk", filter=Q(state=Mention.State.RESPONDED)),
    )


def incident_figures(sender, incident: Incident, **kwargs) -> dict:
    """incidents.signals.incident_figures: a post-mortem's "mentions" figures."""
    return {"mentions": mention_figures(incident)}


def incident_detection(sender, incident: Incident, **kwargs) -> Detection | None:
    """incidents.signals.incident_detection: an incident a spike opened, from the spike's first hour."""
    if incident.source != Source.REPUTATION:
        return None
    spike = MentionSpike.objects.filter(incident=incident).order_by("started_at").first()
    if spike is None:
        return Detection("Reputation watch: a spike in mentions")
    return Detection(f"Reputation watch: a spike in mentions ({spike.get_reason_display().lower()})", spike.started_at)
