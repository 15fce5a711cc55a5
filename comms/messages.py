"""What each medium says about a public update, a page or a maintenance, and how long an SMS is.

The words come from the templates (comms.templating): an admin's stored one, else the
built-in default. Texts are rendered once per (update, medium) when the fan-out is
planned, not once per recipient: every recipient of one medium gets the same words,
which is what lets SendGrid take 1,000 of them in one request. Only a template that
names recipient_name is rendered again per recipient (personalise_update).

A template's context holds only plain strings (templating.VARIABLES), never a model.
"""

import json
from dataclasses import dataclass
from datetime import UTC, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from incidents import paging
from incidents.models import Impact, Incident, IncidentUpdate, Page, PublicStatus, Severity, Status
from vigil.people import display_name

from . import templating
from .models import Event, Notification, Part, State

MASTODON_LIMIT = 500
SUBJECT_LIMIT = 300  # Notification.subject's length
# Parts sent to one person; the others go to an endpoint (Slack, Mastodon, a webhook) and have no recipient.
PERSON_PARTS = {Part.SUBJECT, Part.EMAIL, Part.SMS, Part.VOICE}


def status_page_url() -> str:
    return settings.VIGIL_BASE_URL + reverse("status_page")


def person_name(user) -> str:
    return display_name(user)


@dataclass(frozen=True)
class Texts:
    subject: str
    bodies: dict[str, str]  # medium or endpoint kind -> body


def body_part(kind: str) -> str:
    """The part of Texts.bodies a medium or endpoint kind sends: Apprise sends the email's plain text (with
    the subject as its title), since the one URL may be any service; every other kind its own part."""
    return Part.EMAIL if kind == "apprise" else kind


# --- Contexts ----------------------------------------------------------------------


def _incident_context(incident: Incident, components: str) -> dict:
    return {
        "title": incident.title,
        "severity": incident.get_severity_display(),
        "impact": incident.get_impact_display(),
        "components": components,
        "status_url": status_page_url(),
        "incident_url": settings.VIGIL_BASE_URL + incident.get_absolute_url(),
        "incident_id": str(incident.pk),
        "recipient_name": "",
    }


def update_event(update: IncidentUpdate) -> str:
    """Resolved for a resolving update; opened for an incident's first public update; else update."""
    if update.status == PublicStatus.RESOLVED:
        return Event.RESOLVED
    earlier = IncidentUpdate.objects.filter(incident_id=update.incident_id, pk__lt=update.pk)
    return Event.UPDATE if earlier.exists() else Event.OPENED


def update_context(update: IncidentUpdate) -> dict:
    components = ", ".join(c["name"] for c in update.affected_components)  # public components only
    return {
        **_incident_context(update.incident, components),
        "status": update.get_status_display(),
        "message": update.message,
    }


# Where a page's SMS code goes in a stored text; comms.outbox renders the row's code when it sends.
ACK_CODE = "[ack code]"


def page_context(page: Page, components: str | None = None, ack_code: str = ACK_CODE, ack_url: str = "") -> dict:
    """A page's words hold placeholders for its credentials (the acknowledge link, the SMS code): the
    texts are stored in outbox rows that others read, and comms.outbox renders the real ones at send
    time. ACK_CODE and ACK_URL are given real values only for a preview."""
    incident = page.incident
    if components is None:
        affected = incident.affected.filter(component__public=True).values_list("component__name", flat=True)
        components = ", ".join(affected)
    return {
        **_incident_context(incident, components),
        "status": incident.get_status_display(),
        "message": page.message,
        "recipient_name": person_name(page.user),
        "ack_code": ack_code,
        "ack_url": ack_url or paging.ACK_LINK,
    }


def _utc(moment) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def maintenance_context(title: str, message: str, starts_at, ends_at, components: list[str]) -> dict:
    return {
        "title": title,
        "status": "Scheduled",
        "components": ", ".join(components),
        "message": message,
        "status_url": status_page_url(),
        "recipient_name": "",
        "starts_at": _utc(starts_at),
        "ends_at": _utc(ends_at),
    }


# --- Texts -------------------------------------------------------------------------


def one_line(text: str, limit: int) -> str:
    return " ".join(text.split())[:limit]


def fit(text: str, link: str, limit: int) -> str:
    """TEXT shortened with an ellipsis so that TEXT, a space and LINK make at most LIMIT characters."""
    room = limit - len(link) - 1
    if len(text) > room:
        text = text[: room - 1].rstrip() + "…"
    return f"{text} {link}"


def compose(event: str, context: dict, sources: dict[str, str], payload: dict | None = None) -> Texts:
    """Render each part of EVENT from SOURCES. PAYLOAD: the webhook's JSON, which gets the webhook text."""
    rendered = {}
    for part, source in sources.items():
        part_context = context if part in PERSON_PARTS else {**context, "recipient_name": ""}
        rendered[part] = templating.render_part(event, part, source, part_context)
    subject = one_line(rendered.pop(Part.SUBJECT), SUBJECT_LIMIT)
    if Part.MASTODON in rendered:
        rendered[Part.MASTODON] = fit(rendered[Part.MASTODON], context["status_url"], MASTODON_LIMIT)
    if Part.WEBHOOK in rendered:
        rendered[Part.WEBHOOK] = json.dumps({**(payload or {}), "text": rendered[Part.WEBHOOK]})
    return Texts(subject=subject, bodies=rendered)


def update_texts(update: IncidentUpdate) -> Texts:
    event = update_event(update)
    context = update_context(update)
    payload = webhook_payload(update, context["status_url"])
    return compose(event, context, templating.sources(event), payload)


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


def page_texts(page: Page, ack_code: str = ACK_CODE) -> Texts:
    return compose(Event.PAGE, page_context(page, ack_code=ack_code), templating.sources(Event.PAGE))


def maintenance_payload(context: dict, starts_at, ends_at) -> dict:
    return {
        "event": "maintenance.scheduled",
        "maintenance": {
            "title": context["title"],
            "starts_at": starts_at.isoformat(),
            "ends_at": ends_at.isoformat(),
            "components": [c for c in context["components"].split(", ") if c],
        },
    }


def maintenance_texts(maintenance, components: list[str] | None = None) -> Texts:
    """The texts announcing a scheduled maintenance: anything with title, message, starts_at and ends_at
    (comms.models.ScheduledMaintenance). COMPONENTS: the names of its public components, read from
    its `components` when not given."""
    if components is None:
        components = [c.name for c in maintenance.components.all() if c.public]
    context = maintenance_context(
        maintenance.title, maintenance.message, maintenance.starts_at, maintenance.ends_at, components
    )
    payload = maintenance_payload(context, maintenance.starts_at, maintenance.ends_at)
    return compose(Event.MAINTENANCE, context, templating.sources(Event.MAINTENANCE), payload)


def personalise_update(update_id: int) -> int:
    """Render again, per recipient, the parts of an update's texts that name recipient_name.

    Run in the transaction that planned the rows (comms.tasks.fan_out), so no row is sent
    before it has its own words. Returns the rows rewritten.
    """
    update = IncidentUpdate.objects.select_related("incident").get(pk=update_id)
    event = update_event(update)
    sources = templating.sources(event)
    personal = {part for part in PERSON_PARTS if templating.uses_recipient(sources[part])}
    if not personal:
        return 0
    context = update_context(update)
    rows = Notification.objects.filter(update=update, stakeholder__isnull=False, state=State.QUEUED)
    changed = []
    for pk, medium, name in rows.values_list("pk", "medium", "stakeholder__name").iterator(chunk_size=2000):
        if medium not in personal and not (medium == Part.EMAIL and Part.SUBJECT in personal):
            continue
        own = {**context, "recipient_name": name}
        row = Notification(pk=pk, body=templating.render_part(event, medium, sources[medium], own))
        if medium == Part.EMAIL:
            row.subject = one_line(
                templating.render_part(event, Part.SUBJECT, sources[Part.SUBJECT], own), SUBJECT_LIMIT
            )
        changed.append(row)
    Notification.objects.bulk_update(changed, ["body", "subject"], batch_size=500)
    return len(changed)


# --- Samples: what the Templates page previews and every template is checked against ---


def sample_incident() -> Incident:
    now = timezone.now()
    return Incident(
        pk=1234,
        title="Elevated error rates on the API",
        severity=Severity.SEV1,
        status=Status.IDENTIFIED,
        impact=Impact.MAJOR,
        started_at=now - timedelta(minutes=25),
    )


SAMPLE_UPDATES = {
    Event.OPENED: (PublicStatus.INVESTIGATING, "We are investigating elevated error rates on the API."),
    Event.UPDATE: (PublicStatus.IDENTIFIED, "A faulty deploy caused the errors; we are rolling it back."),
    Event.RESOLVED: (PublicStatus.RESOLVED, "The rollback is complete and error rates are back to normal."),
}
SAMPLE_COMPONENTS = ["API", "Dashboard"]
SAMPLE_RECIPIENT = "Ada Lovelace"


def sample_update(event: str) -> IncidentUpdate:
    status, message = SAMPLE_UPDATES[event]
    affected = [
        {"code": str(i), "name": name, "new_status": "partial_outage"} for i, name in enumerate(SAMPLE_COMPONENTS)
    ]
    return IncidentUpdate(
        pk=5678,
        incident=sample_incident(),
        status=status,
        message=message,
        affected_components=affected,
        created_at=timezone.now(),
    )


def sample_ack_url() -> str:
    """A link as long as a real one, for previews; signed by nobody, so it acknowledges nothing."""
    return settings.VIGIL_BASE_URL + reverse("incidents:ack", args=["sample-not-a-real-link-" + "x" * 24])


def sample_page() -> Page:
    """The preview's page, with a link of the real length in its message (a stored page holds ACK_LINK)."""
    user = get_user_model()(pk=42, username="ada", first_name="Ada", last_name="Lovelace")
    incident = sample_incident()
    message = paging.page_message(incident, user).replace(paging.ACK_LINK, sample_ack_url())
    return Page(pk=4321, incident=incident, user=user, message=message)


def _sample_window() -> tuple:
    starts_at = (timezone.now() + timedelta(days=2)).replace(hour=22, minute=0, second=0, microsecond=0)
    message = "We are upgrading the database. The API may answer slowly for a few minutes."
    return "Database upgrade", message, starts_at, starts_at + timedelta(hours=2)


def sample_context(event: str) -> dict:
    if event == Event.PAGE:
        page = sample_page()
        return page_context(page, ", ".join(SAMPLE_COMPONENTS), ack_code="123456", ack_url=sample_ack_url())
    if event == Event.MAINTENANCE:
        return {**maintenance_context(*_sample_window(), SAMPLE_COMPONENTS), "recipient_name": SAMPLE_RECIPIENT}
    return {**update_context(sample_update(event)), "recipient_name": SAMPLE_RECIPIENT}


def sample_texts(event: str, sources: dict[str, str]) -> Texts:
    """EVENT's texts from SOURCES on the sample incident: the preview, as it would be sent."""
    context = sample_context(event)
    payload = None
    if event == Event.MAINTENANCE:
        _, _, starts_at, ends_at = _sample_window()
        payload = maintenance_payload(context, starts_at, ends_at)
    elif event != Event.PAGE:
        payload = webhook_payload(sample_update(event), context["status_url"])
    return compose(event, context, sources, payload)


def check(event: str, part: str, source: str) -> str:
    """The text SOURCE gives on the sample incident; ValueError saying what is wrong if it gives none."""
    context = sample_context(event)
    if part not in PERSON_PARTS:
        context["recipient_name"] = ""
    return templating.check(source, context)


# --- SMS length --------------------------------------------------------------------

# GSM 03.38: the basic set, and the extension set whose characters take two septets.
GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = set("^{}\\[~]|€\f")


@dataclass(frozen=True)
class SmsLength:
    encoding: str  # GSM-7 or UCS-2
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int


def sms_length(text: str) -> SmsLength:
    """GSM-7 fits 160 septets in one part, 153 in each when split; an extension character takes two.
    Any other character makes the message UCS-2: 70 UTF-16 units in one part, 67 each when split
    (an emoji outside the BMP takes two). A part never ends in the middle of an extension
    character's escape or an emoji's surrogate pair, so such a character may start the next part."""
    if all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text):
        encoding, single, each = "GSM-7", 160, 153
        sizes = [2 if c in GSM7_EXTENSION else 1 for c in text]
    else:
        encoding, single, each = "UCS-2", 70, 67
        sizes = [len(c.encode("utf-16-le")) // 2 for c in text]
    units = sum(sizes)
    return SmsLength(encoding, units, 1 if units <= single else _parts(sizes, each))


def _parts(sizes: list[int], room: int) -> int:
    parts, used = 1, 0
    for size in sizes:
        if used + size > room:
            parts, used = parts + 1, 0
        used += size
    return parts


def sms_segments(text: str) -> tuple[str, int]:
    """(encoding, segments)."""
    length = sms_length(text)
    return length.encoding, length.segments
