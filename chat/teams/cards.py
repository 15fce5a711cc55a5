"""The Adaptive Cards (schema 1.5) Vigil posts to Teams, in the Workflows webhook's envelope."""

from django.conf import settings

from incidents.models import Incident, Page, Status
from vigil.people import display_name

CARD_TYPE = "application/vnd.microsoft.card.adaptive"
HEADLINES = {
    "declared": "Incident declared",
    "acknowledged": "Incident acknowledged",
    "resolved": "Incident resolved",
    "update": "Public update posted",
    "page": "Paging",
}


def envelope(card: dict) -> dict:
    """What a Workflows "When a Teams webhook request is received" trigger takes."""
    return {"type": "message", "attachments": [{"contentType": CARD_TYPE, "contentUrl": None, "content": card}]}


def incident_url(incident: Incident) -> str:
    return settings.VIGIL_BASE_URL + incident.get_absolute_url()


def facts(incident: Incident) -> list[dict]:
    components = ", ".join(incident.components.order_by("name").values_list("name", flat=True)) or "—"
    return [
        {"title": "Severity", "value": incident.get_severity_display()},
        {"title": "Status", "value": incident.get_status_display()},
        {"title": "Commander", "value": display_name(incident.commander)},
        {"title": "Components", "value": components},
    ]


def latest_update(incident: Incident) -> str:
    update = incident.updates.order_by("-created_at").first()
    return f"Latest update: {update.message}" if update else (incident.summary or "No public update yet.")


def incident_card(incident: Incident, event: str, page: Page | None = None) -> dict:
    """The card for EVENT. Acknowledge (while unacknowledged) opens the incident page: sign in, then its
    button; a page's own signed link is a credential and a channel is shared (chat.teams)."""
    headline = HEADLINES[event]
    if page is not None:
        headline = f"Paging {display_name(page.user)}"
    url = incident_url(incident)
    actions = [{"type": "Action.OpenUrl", "title": "Open", "url": url}]
    if incident.status == Status.TRIGGERED:
        actions.append({"type": "Action.OpenUrl", "title": "Acknowledge", "url": f"{url}#acknowledge"})
    card = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.5",
        "body": [
            {"type": "TextBlock", "text": headline, "weight": "Bolder", "size": "Medium", "wrap": True},
            {"type": "TextBlock", "text": f"#{incident.pk} {incident.title}", "wrap": True},
            {"type": "FactSet", "facts": facts(incident)},
            {"type": "TextBlock", "text": latest_update(incident), "wrap": True, "isSubtle": True},
        ],
        "actions": actions,
    }
    return envelope(card)
