"""The incident card: the Block Kit message pinned in an incident's channel and edited in place.

Pure presentation: `blocks(incident)` and `text(incident)` read the incident's present state;
`fingerprint(incident)` hashes exactly what they show, so chat.slack.channels edits the card only
when something shown changed. Times are Slack date tokens (`<!date^...>`), rendered by each reader's
Slack in their own time zone: nothing on the card ticks, so the fingerprint needs no rounding.
"""

import hashlib
import json

from django.conf import settings
from django.utils.html import escape

from chat.slack.actions import incident_buttons
from incidents.models import IncidentEvent, Page, Status


def mrkdwn(value: str) -> str:
    """VALUE safe inside mrkdwn: Slack's three control characters escaped (its documented rule)."""
    return escape(value).replace("&#x27;", "'").replace("&quot;", '"')


def when(moment) -> str:
    """A Slack date token: each reader sees it in their own time zone."""
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} at {{time}}|{moment.isoformat()}>"


def who(user) -> str:
    return mrkdwn(user.get_full_name() or user.get_username()) if user else "nobody"


def incident_url(incident) -> str:
    return settings.VIGIL_BASE_URL + incident.get_absolute_url()


def paged_line(incident) -> str:
    pages = {}
    for page in Page.objects.filter(incident=incident).select_related("user").order_by("created_at"):
        seen = pages.get(page.user_id)
        acked = page.status == Page.Status.ACKNOWLEDGED or (seen and seen[1])
        pages[page.user_id] = (page.user, bool(acked))
    if not pages:
        return "nobody"
    return ", ".join(
        f"{who(user)} ({'acknowledged' if acked else 'not acknowledged'})" for user, acked in pages.values()
    )


def last_update_line(incident) -> str:
    update = incident.updates.order_by("-created_at").first()
    if update is None:
        return "none yet"
    message = update.message if len(update.message) <= 300 else update.message[:299] + "…"
    return f"{when(update.created_at)}, {mrkdwn(update.get_status_display().lower())}: {mrkdwn(message)}"


def resolved_line(incident) -> str:
    event = incident.events.filter(kind=IncidentEvent.Kind.RESOLVED).order_by("-pk").first()
    by = mrkdwn(event.actor_label) if event and event.actor_label else who(incident.acknowledged_by)
    return f":white_check_mark: Resolved by {by} at {when(incident.resolved_at or incident.updated_at)}"


def blocks(incident) -> list[dict]:
    components = ", ".join(
        mrkdwn(f"{ic.component.name} ({ic.get_status_display().lower()})")
        for ic in incident.affected.select_related("component").order_by("component__name")
    )
    links = f"<{incident_url(incident)}|Incident in Vigil>"
    if incident.bridge_url:
        links += f" · <{incident.bridge_url}|Bridge>"
    fields = [
        ("Severity", incident.get_severity_display()),
        ("Status", incident.get_status_display()),
        ("Commander", who(incident.commander)),
        ("Started", when(incident.started_at)),
    ]
    result = [
        {"type": "header", "text": {"type": "plain_text", "text": f"#{incident.pk} {incident.title}"[:150]}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f"*{name}*\n{value}"} for name, value in fields]},
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f"*Paged:* {paged_line(incident)}\n*Affected:* {components or 'no components'}\n"
                f"*Last public update:* {last_update_line(incident)}"[:3000],
            },
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": links}]},
    ]
    if incident.status == Status.RESOLVED:
        result.append({"type": "section", "text": {"type": "mrkdwn", "text": resolved_line(incident)}})
    else:
        result.append(
            {"type": "actions", "block_id": f"incident:{incident.pk}", "elements": incident_buttons(incident)}
        )
    return result


def text(incident) -> str:
    """The notification and screen-reader fallback of the card."""
    return f"#{incident.pk} {incident.title}: {incident.get_severity_display()}, {incident.get_status_display()}"


def fingerprint(incident, shown: list[dict] | None = None) -> str:
    shown = blocks(incident) if shown is None else shown
    data = json.dumps([shown, text(incident)], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(data.encode()).hexdigest()
