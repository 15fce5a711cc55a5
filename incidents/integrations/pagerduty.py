"""PagerDuty's Events API v2, read as PagerDuty reads it: an event body in, a PagerDutyEvent out.

Senders wired to PagerDuty change only the host and the key (issue #17): the body is PagerDuty's
(https://developer.pagerduty.com/docs/events-api-v2/trigger-events/), `routing_key` is a Vigil
integration's token of kind pagerduty. A trigger or a resolve becomes a ParsedAlert fed to the one
alert pipeline (pipeline.ingest), like any other format; an acknowledge names the alert whose
incident is acknowledged (acknowledge.py). Change events are parsed here too (ParsedChange).

Errors are EventErrors carrying PagerDuty's own wording ("'payload.summary' is missing or blank"),
so a sender's logs read as they would against PagerDuty. Nothing here touches the database.
"""

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from django.utils import timezone

from vigil.text import clean_line, clean_text

from .parsers import FIRING, MAX_FINGERPRINT, MAX_TITLE, RESOLVED, SEVERITY_WORDS, ParsedAlert, PayloadError

# PagerDuty's caps: an event's body, a dedup_key, a summary.
MAX_BODY_BYTES = 512 * 1024
MAX_DEDUP_KEY = 255
MAX_SUMMARY = 1024
MAX_SOURCE = 255
MAX_LINKS = 50
MAX_IMAGES = 10
MAX_URL = 1000

TRIGGER, ACKNOWLEDGE, RESOLVE = "trigger", "acknowledge", "resolve"
ACTIONS = (TRIGGER, ACKNOWLEDGE, RESOLVE)
SEVERITIES = ("critical", "error", "warning", "info")
# The optional PD-CEF fields kept as the alert's labels (with the required source and severity).
CEF_LABELS = ("component", "group", "class")


class EventError(PayloadError):
    """The event is not one PagerDuty would accept. ERRORS are PagerDuty's messages."""

    def __init__(self, *errors: str):
        super().__init__("; ".join(errors))
        self.errors = list(errors)


@dataclass(frozen=True)
class PagerDutyEvent:
    routing_key: str
    action: str  # TRIGGER, ACKNOWLEDGE or RESOLVE
    dedup_key: str  # as the sender gave it, or generated for a trigger without one
    alert: ParsedAlert | None  # for a trigger or a resolve

    @property
    def fingerprint(self) -> str:
        return fingerprint_of(self.dedup_key)


@dataclass(frozen=True)
class ParsedChange:
    routing_key: str
    summary: str
    source: str
    timestamp: datetime
    custom_details: dict
    links: list


def fingerprint_of(dedup_key: str) -> str:
    """The alert fingerprint of a dedup_key: the key itself, or its hash when over the column's length
    (PagerDuty allows 255 characters, Alert.fingerprint holds 200)."""
    if len(dedup_key) <= MAX_FINGERPRINT:
        return dedup_key
    return "sha256:" + hashlib.sha256(dedup_key.encode()).hexdigest()


def decode(body: bytes) -> dict:
    """The JSON object in BODY (already cut at MAX_BODY_BYTES by the view), or EventError."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise EventError("Event object is not valid JSON") from None
    if not isinstance(data, dict):
        raise EventError("Event object must be a JSON object")
    return data


def routing_key_of(data: dict) -> str:
    key = data.get("routing_key")
    if not isinstance(key, str) or not key.strip():
        raise EventError("'routing_key' is missing or blank")
    return key.strip()


def parse_event(data: dict) -> PagerDutyEvent:
    """An alert event (POST /v2/enqueue). Every problem found is named, as PagerDuty lists them."""
    routing_key = routing_key_of(data)
    action = data.get("event_action")
    if action not in ACTIONS:
        raise EventError("'event_action' is missing or blank" if not action else "'event_action' is invalid")
    dedup_key = _dedup_key(data.get("dedup_key"), required=action != TRIGGER)
    if action == ACKNOWLEDGE:
        return PagerDutyEvent(routing_key, action, dedup_key, None)
    fingerprint = fingerprint_of(dedup_key)
    if action == RESOLVE:
        alert = ParsedAlert(fingerprint=fingerprint, status=RESOLVED, group_key=fingerprint, ends_at=timezone.now())
        return PagerDutyEvent(routing_key, action, dedup_key, alert)
    return PagerDutyEvent(routing_key, action, dedup_key, _trigger_alert(data, fingerprint))


def _dedup_key(value, required: bool) -> str:
    if value is None or value == "":
        if required:
            raise EventError("'dedup_key' is missing or blank")
        return uuid.uuid4().hex  # as PagerDuty does, returned in the answer
    if not isinstance(value, str):
        raise EventError("'dedup_key' must be a string")
    value = clean_line(value)
    if not value.strip():
        raise EventError("'dedup_key' is missing or blank")
    if len(value) > MAX_DEDUP_KEY:
        raise EventError(f"'dedup_key' is longer than {MAX_DEDUP_KEY} characters")
    return value


def _trigger_alert(data: dict, fingerprint: str) -> ParsedAlert:
    payload = data.get("payload")
    if not isinstance(payload, dict):
        raise EventError("'payload' is missing or blank" if payload is None else "'payload' must be an object")
    errors = []
    summary = _text(payload, "summary", MAX_SUMMARY, errors, required=True)
    source = _text(payload, "source", MAX_SOURCE, errors, required=True)
    severity = payload.get("severity")
    if severity in (None, ""):
        errors.append("'payload.severity' is missing or blank")
    elif severity not in SEVERITIES:
        errors.append("'payload.severity' is invalid (critical, error, warning or info)")
    starts_at = _timestamp(payload.get("timestamp"), "payload.timestamp", errors)
    labels = {key: _text(payload, key, MAX_SOURCE, errors) for key in CEF_LABELS}
    if errors:
        raise EventError(*errors)
    labels = {"source": source, "severity": severity, **{key: value for key, value in labels.items() if value}}
    if isinstance(data.get("client"), str) and data["client"].strip():
        labels["client"] = clean_line(data["client"])[:MAX_SOURCE]
    links = _links(data.get("links"))
    images = _images(data.get("images"))
    details = _details(payload.get("custom_details"))
    return ParsedAlert(
        fingerprint=fingerprint,
        status=FIRING,
        group_key=labels.get("group") or fingerprint,
        title=summary[:MAX_TITLE],
        severity=SEVERITY_WORDS[severity],
        description=_description(summary, details),
        labels=labels,
        annotations={
            **details,
            **({"links": json.dumps(links)} if links else {}),
            **({"images": json.dumps(images)} if images else {}),
        },
        source_url=_url(data.get("client_url")) or (links[0]["href"] if links else ""),
        starts_at=starts_at,
    )


def parse_change(data: dict) -> ParsedChange:
    """A change event (POST /v2/change/enqueue): {routing_key, payload: {summary, timestamp, source,
    custom_details}, links}."""
    routing_key = routing_key_of(data)
    payload = data.get("payload")
    if not isinstance(payload, dict):
        raise EventError("'payload' is missing or blank" if payload is None else "'payload' must be an object")
    errors = []
    summary = _text(payload, "summary", MAX_SUMMARY, errors, required=True)
    source = _text(payload, "source", MAX_SOURCE, errors)
    timestamp = _timestamp(payload.get("timestamp"), "payload.timestamp", errors)
    details = payload.get("custom_details") or {}
    if not isinstance(details, dict):
        errors.append("'payload.custom_details' must be an object")
    if errors:
        raise EventError(*errors)
    return ParsedChange(routing_key, summary, source, timestamp or timezone.now(), details, _links(data.get("links")))


# --- Field checks --------------------------------------------------------------------------


def _text(payload: dict, key: str, max_length: int, errors: list, required: bool = False) -> str:
    value = payload.get(key)
    if value is None or value == "":
        if required:
            errors.append(f"'payload.{key}' is missing or blank")
        return ""
    if not isinstance(value, str):
        errors.append(f"'payload.{key}' must be a string")
        return ""
    value = clean_line(value).strip()
    if required and not value:
        errors.append(f"'payload.{key}' is missing or blank")
    elif len(value) > max_length:
        errors.append(f"'payload.{key}' is longer than {max_length} characters")
    return value


def _timestamp(value, where: str, errors: list) -> datetime | None:
    """An ISO 8601 time; one without an offset is read as UTC. Some clients write "+00:00Z"."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        errors.append(f"'{where}' is invalid")
        return None
    text = value.strip()
    if text.endswith("Z") and ("+" in text[10:-1] or "-" in text[10:-1]):
        text = text[:-1]
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        errors.append(f"'{where}' is invalid")
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _url(value) -> str:
    if isinstance(value, str) and value.startswith(("http://", "https://")) and len(value) <= MAX_URL:
        return clean_line(value)
    return ""


def _links(value) -> list[dict]:
    """The http(s) links of `links` ([{href, text}]); anything else in it is dropped, as it is only shown."""
    if not isinstance(value, list):
        return []
    links = []
    for item in value[:MAX_LINKS]:
        if isinstance(item, dict) and _url(item.get("href")):
            text = item.get("text") if isinstance(item.get("text"), str) else ""
            links.append({"href": _url(item["href"]), "text": clean_line(text)[:MAX_SOURCE]})
    return links


def _images(value) -> list[dict]:
    """The first MAX_IMAGES http(s) images of `images` ([{src, href, alt}]); others dropped, a
    non-http(s) href dropped alone. Kept to be shown as links (Alert.images), never embedded."""
    if not isinstance(value, list):
        return []
    images = []
    for item in value:
        if isinstance(item, dict) and _url(item.get("src")):
            alt = item.get("alt") if isinstance(item.get("alt"), str) else ""
            images.append(
                {"src": _url(item["src"]), "href": _url(item.get("href")), "alt": clean_line(alt)[:MAX_SOURCE]}
            )
        if len(images) == MAX_IMAGES:
            break
    return images


def _details(value) -> dict[str, str]:
    """custom_details as the alert's annotations: strings kept, anything else as its JSON."""
    if not isinstance(value, dict):
        return {} if value is None else {"details": clean_text(json.dumps(value))}
    return {
        clean_line(str(key)): clean_text(item if isinstance(item, str) else json.dumps(item))
        for key, item in value.items()
    }


def _description(summary: str, details: dict[str, str]) -> str:
    """The new incident's summary: the whole summary when the title cut it, then the custom details."""
    parts = [summary] if len(summary) > MAX_TITLE else []
    parts += [f"{key}: {value}" if "\n" not in value else f"{key}:\n{value}" for key, value in details.items() if value]
    return "\n".join(parts)
