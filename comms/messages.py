"""What each medium says about a public update or a page, and how long an SMS is.

Texts are rendered once per (update, medium) when the fan-out is planned, not once per
recipient: every recipient of one medium gets the same words, which is what lets SendGrid
take 1,000 of them in one request.
"""

import json
from dataclasses import dataclass

from django.conf import settings
from django.template import Context, Engine
from django.urls import reverse

# Plain-text templates (autoescape off: these are not HTML). Keys are (event, part).
TEMPLATES = {
    ("update", "subject"): "[{{ status }}] {{ incident.title }}",
    ("update", "email"): (
        "{{ incident.title }}\n\nStatus: {{ status }}\n\n{{ update.message }}\n"
        "{% if components %}\nAffected: {{ components }}\n{% endif %}"
        "\nFollow along: {{ status_url }}\n"
    ),
    ("update", "sms"): "{{ incident.title }} - {{ status }}: {{ update.message }} {{ status_url }}",
    ("update", "voice"): "Incident update. {{ incident.title }}. Status: {{ status }}. {{ update.message }}",
    ("update", "slack"): "*{{ incident.title }}* - {{ status }}\n{{ update.message }}\n<{{ status_url }}|Status page>",
    ("update", "mastodon"): "{{ incident.title }} - {{ status }}: {{ update.message }}",
    ("page", "subject"): "[{{ incident.severity|upper }}] Page: #{{ incident.pk }} {{ incident.title }}",
    ("page", "email"): "{{ page.message }}\n",
    ("page", "sms"): "{{ page.message }}\nReply ACK {{ page.pk }} to acknowledge.",
    ("page", "voice"): "Vigil page. Severity {{ incident.severity }}. Incident {{ incident.pk }}: {{ incident.title }}",
}
MASTODON_LIMIT = 500
_engine = Engine(autoescape=False)


def render(event: str, part: str, context: dict) -> str:
    return _engine.from_string(TEMPLATES[(event, part)]).render(Context(context)).strip()


def status_page_url() -> str:
    return settings.VIGIL_BASE_URL + reverse("status_page")


@dataclass(frozen=True)
class Texts:
    subject: str
    bodies: dict[str, str]  # medium -> body


def update_context(update) -> dict:
    return {
        "incident": update.incident,
        "update": update,
        "status": update.get_status_display(),
        "components": ", ".join(c["name"] for c in update.affected_components),
        "status_url": status_page_url(),
    }


def update_texts(update) -> Texts:
    context = update_context(update)
    bodies = {medium: render("update", medium, context) for medium in ("email", "sms", "voice", "slack")}
    bodies["mastodon"] = fit(render("update", "mastodon", context), context["status_url"], MASTODON_LIMIT)
    bodies["webhook"] = json.dumps(webhook_payload(update, context["status_url"]))
    return Texts(subject=render("update", "subject", context), bodies=bodies)


def fit(text: str, link: str, limit: int) -> str:
    """TEXT shortened with an ellipsis so that TEXT, a space and LINK make at most LIMIT characters."""
    room = limit - len(link) - 1
    if len(text) > room:
        text = text[: room - 1].rstrip() + "…"
    return f"{text} {link}"


def webhook_payload(update, status_url: str) -> dict:
    """Only what the public status page shows: no internal notes, responder names or contacts."""
    incident = update.incident
    return {
        "event": "incident.update",
        "incident": {"id": incident.pk, "title": incident.title, "status": incident.public_status, "url": status_url},
        "update": {
            "id": update.pk,
            "status": update.status,
            "message": update.message,
            "created_at": update.created_at.isoformat(),
            "affected_components": update.affected_components,
        },
    }


def page_texts(page) -> Texts:
    context = {"incident": page.incident, "page": page}
    bodies = {medium: render("page", medium, context) for medium in ("email", "sms", "voice")}
    return Texts(subject=render("page", "subject", context), bodies=bodies)


# GSM 03.38: the basic set, and the extension set whose characters take two septets.
GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = set("^{}\\[~]|€\f")


def sms_segments(text: str) -> tuple[str, int]:
    """(encoding, segments): GSM-7 fits 160 septets in one part, 153 each when split;
    any other character makes the message UCS-2: 70 in one part, 67 each when split."""
    if all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text):
        septets = sum(2 if c in GSM7_EXTENSION else 1 for c in text)
        return "GSM-7", 1 if septets <= 160 else -(-septets // 153)
    units = len(text.encode("utf-16-le")) // 2
    return "UCS-2", 1 if units <= 70 else -(-units // 67)
