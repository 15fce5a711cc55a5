"""Opsgenie's Alert API v2, read as Vigil alerts: request bodies in, ParsedAlerts and actions out.

A sender wired to Opsgenie (Alertmanager's opsgenie_configs, Grafana's Opsgenie contact point,
scripts calling https://api.opsgenie.com/v2/alerts) changes only the URL and the key; the key is
an Opsgenie integration's token (opsgenie_views.py). Like parsers.py, nothing here touches the
database: a bad body raises PayloadError naming what is wrong.

- An Opsgenie alert is known by its alias, Opsgenie's dedup key: the alias is the fingerprint
  and the group key, so one alias is one alert and one incident. Without an alias the message
  stands for it (the same message deduplicates). An alias longer than a fingerprint's column is
  hashed.
- Opsgenie gives an alert an id of its own, later and asynchronously; Vigil has none to give.
  identifierType `id` and `tiny` are therefore read as the alias, and so is the default (`id`).
- priority P1..P4 is sev1..sev4, and P5 (informational) is sev4 too; no priority means the
  integration's default severity (not Opsgenie's P3).
- responders, visibleTo, actions and teams are accepted and ignored: Vigil pages through the
  integration's escalation policy.
- message is cut to 130 characters and description to 15,000, as Opsgenie does.
"""

import hashlib
import json
from dataclasses import dataclass

from incidents.models import Severity
from vigil.text import clean_map

from .parsers import (
    FIRING,
    MAX_FINGERPRINT,
    MAX_TITLE,
    RESOLVED,
    ParsedAlert,
    PayloadError,
    _object,
    _string,
    _url,
)

MAX_MESSAGE = 130
MAX_ALIAS = 512
MAX_DESCRIPTION = 15000
MAX_NOTE = 25000
MAX_SHORT = 100  # user, source: Opsgenie's limits
MAX_TAGS = 20

PRIORITIES = {"P1": Severity.SEV1, "P2": Severity.SEV2, "P3": Severity.SEV3, "P4": Severity.SEV4, "P5": Severity.SEV4}
IDENTIFIER_TYPES = ("id", "alias", "tiny")


@dataclass(frozen=True)
class AlertAction:
    """The body of close, acknowledge and notes: who asks (Opsgenie's display name), from where, and a note."""

    user: str = ""
    source: str = ""
    note: str = ""

    def note_text(self) -> str:
        return f"{self.user}: {self.note}" if self.user else self.note


def fingerprint_of(alias: str) -> str:
    """The fingerprint of an Opsgenie alias: the alias, or its hash when it would not fit the column."""
    if len(alias) <= MAX_FINGERPRINT:
        return alias
    return "sha256:" + hashlib.sha256(alias.encode()).hexdigest()


def identified(identifier: str, identifier_type: str | None) -> str:
    """The fingerprint a close, acknowledge or notes URL names. See the module's docstring about ids."""
    identifier_type = identifier_type or "id"
    if identifier_type not in IDENTIFIER_TYPES:
        raise PayloadError(f"identifierType: expected one of {', '.join(IDENTIFIER_TYPES)}, got {identifier_type!r}")
    identifier = _string(identifier, "identifier", max_length=MAX_ALIAS, allow_empty=False)
    return fingerprint_of(identifier)


def parse_create(payload) -> ParsedAlert:
    """The body of POST /v2/alerts, as one firing alert."""
    payload = _object(payload, "")
    message = _optional(payload, "message", max_length=None).strip()
    if not message:
        raise PayloadError("message: missing")
    message = message[:MAX_MESSAGE]
    alias = _optional(payload, "alias", max_length=MAX_ALIAS).strip() or message
    fingerprint = fingerprint_of(alias)
    source = _optional(payload, "source", max_length=None)
    annotations = {
        "description": _optional(payload, "description", max_length=None, multiline=True)[:MAX_DESCRIPTION],
        "entity": _optional(payload, "entity", max_length=512),
        "source": source[:MAX_SHORT],
        "user": _optional(payload, "user", max_length=None)[:MAX_SHORT],
        "note": _optional(payload, "note", max_length=None, multiline=True)[:MAX_NOTE],
        "tags": ", ".join(_tags(payload.get("tags"))),
    }
    return ParsedAlert(
        fingerprint=fingerprint,
        status=FIRING,
        group_key=fingerprint,
        title=message[:MAX_TITLE],
        severity=_priority(payload.get("priority")),
        description=annotations["description"],
        labels=_details(payload.get("details")),
        annotations={key: value for key, value in annotations.items() if value},
        source_url=_url(source),
    )


def closed(fingerprint: str) -> ParsedAlert:
    """The alert FINGERPRINT, resolved: what POST /v2/alerts/{identifier}/close sends down the pipeline."""
    return ParsedAlert(fingerprint=fingerprint, status=RESOLVED, group_key=fingerprint)


def parse_action(payload, *, note_required: bool = False) -> AlertAction:
    """The body of close, acknowledge (all optional) or notes (note required). An empty body is {}."""
    payload = _object({} if payload is None else payload, "")
    note = _optional(payload, "note", max_length=MAX_NOTE, multiline=True).strip()
    if note_required and not note:
        raise PayloadError("note: missing")
    return AlertAction(
        user=_optional(payload, "user", max_length=None)[:MAX_SHORT].strip(),
        source=_optional(payload, "source", max_length=None)[:MAX_SHORT].strip(),
        note=note,
    )


def _optional(payload: dict, key: str, *, max_length: int | None, multiline: bool = False) -> str:
    value = payload.get(key)
    if value is None:
        return ""
    return _string(value, key, max_length=max_length, multiline=multiline)


def _priority(value) -> str | None:
    if value is None or value == "":
        return None
    if value not in PRIORITIES:
        raise PayloadError(f"priority: expected one of P1, P2, P3, P4, P5, got {value!r}"[:200])
    return PRIORITIES[value]


def _details(value) -> dict[str, str]:
    """Opsgenie's details: an object of strings. Other values are kept as their JSON text."""
    if value is None:
        return {}
    value = _object(value, "details")
    return clean_map({str(key): item if isinstance(item, str) else json.dumps(item) for key, item in value.items()})


def _tags(value) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(tag, str) for tag in value):
        raise PayloadError("tags: expected a list of strings")
    return [_string(tag, "tags", max_length=50) for tag in value[:MAX_TAGS]]
