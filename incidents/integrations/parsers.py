"""One parser per integration kind: a decoded JSON payload in, a list of ParsedAlert out.

A parser checks the shape and raises PayloadError naming what is wrong; it never
touches the database. Real example payloads live in fixtures/<kind>/.

- Alertmanager: the webhook receiver's payload, version "4"
  (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config).
- Grafana: the unified-alerting webhook contact point, version "1": Alertmanager's
  shape plus orgId, title, state and message (fixtures/grafana/README.md).
- Generic: Vigil's own format, documented in README.md ("Alert integrations").

Every string is cleaned of control characters (vigil.text) before it is checked: a summary with a
terminal's colour codes must not reach the incident, the status page's feeds or the database.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from incidents.models import Integration, Severity
from vigil.text import clean_line, clean_map, clean_text

MAX_ALERTS = 1000
MAX_FINGERPRINT = 200
MAX_GROUP_KEY = 500
MAX_TITLE = 300
MAX_URL = 1000

FIRING = "firing"
RESOLVED = "resolved"

# The `severity` label's usual words, and Vigil's own levels, to a severity.
SEVERITY_WORDS = {
    "critical": Severity.SEV1,
    "error": Severity.SEV2,
    "major": Severity.SEV2,
    "high": Severity.SEV2,
    "warning": Severity.SEV3,
    "medium": Severity.SEV3,
    "info": Severity.SEV4,
    "low": Severity.SEV4,
    **{level.value: level for level in Severity},
}


class PayloadError(ValueError):
    """The payload is not what this kind of integration sends. The message says what is wrong."""


@dataclass(frozen=True)
class ParsedAlert:
    fingerprint: str
    status: str  # FIRING or RESOLVED
    group_key: str
    title: str = ""
    severity: str | None = None  # a Severity value, or None for the integration's default
    description: str = ""
    labels: dict = field(default_factory=dict)
    annotations: dict = field(default_factory=dict)
    source_url: str = ""
    starts_at: datetime | None = None
    ends_at: datetime | None = None

    @property
    def firing(self) -> bool:
        return self.status == FIRING


def severity_from(word) -> str | None:
    if not isinstance(word, str):
        return None
    return SEVERITY_WORDS.get(word.strip().lower())


# --- Checks shared by the parsers ---------------------------------------------------


def _require(data: dict, key: str, where: str):
    if key not in data:
        raise PayloadError(f"{where}{key}: missing")
    return data[key]


def _string(
    value, where: str, *, max_length: int | None = None, allow_empty: bool = True, multiline: bool = False
) -> str:
    if not isinstance(value, str):
        raise PayloadError(f"{where}: expected a string, got {_type_name(value)}")
    value = clean_text(value) if multiline else clean_line(value)
    if not allow_empty and not value.strip():
        raise PayloadError(f"{where}: must not be empty")
    if max_length is not None and len(value) > max_length:
        raise PayloadError(f"{where}: longer than {max_length} characters")
    return value


def _string_map(value, where: str, *, multiline: bool = False) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise PayloadError(f"{where}: expected an object of strings, got {_type_name(value)}")
    for key, item in value.items():
        if not isinstance(item, str):
            raise PayloadError(f"{where}.{key}: expected a string, got {_type_name(item)}")
    return clean_map(value, multiline=multiline)


def _status(value, where: str) -> str:
    if value not in (FIRING, RESOLVED):
        raise PayloadError(f"{where}: expected 'firing' or 'resolved', got {value!r}")
    return value


def _time(value, where: str) -> datetime | None:
    """An RFC 3339 time. Go's zero time (0001-01-01T00:00:00Z) means none."""
    if value is None or value == "":
        return None
    text = _string(value, where)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise PayloadError(f"{where}: not an RFC 3339 time: {text[:40]!r}") from None
    if moment.tzinfo is None:
        raise PayloadError(f"{where}: the time has no offset: {text[:40]!r}")
    return None if moment.year <= 1 else moment


def _url(value) -> str:
    # A link shown in the UI: keep only http(s) URLs that fit the column.
    if isinstance(value, str) and value.startswith(("http://", "https://")) and len(value) <= MAX_URL:
        return value
    return ""


def _alert_list(value, where: str) -> list:
    if not isinstance(value, list):
        raise PayloadError(f"{where}: expected a list of alerts, got {_type_name(value)}")
    if not value:
        raise PayloadError(f"{where}: the list of alerts is empty")
    if len(value) > MAX_ALERTS:
        raise PayloadError(f"{where}: more than {MAX_ALERTS} alerts in one payload")
    return value


def _object(value, where: str) -> dict:
    if not isinstance(value, dict):
        raise PayloadError(f"{where or 'payload'}: expected a JSON object, got {_type_name(value)}")
    return value


def _type_name(value) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )


# --- Alertmanager and Grafana --------------------------------------------------------


def _parse_alertmanager_shape(payload, version: str) -> list[ParsedAlert]:
    """Alertmanager's webhook shape, which Grafana's contact point reuses with its own version."""
    payload = _object(payload, "")
    got = _require(payload, "version", "")
    if got != version:
        raise PayloadError(f"version: expected {version!r}, got {got!r}")
    group_key = _string(_require(payload, "groupKey", ""), "groupKey", max_length=MAX_GROUP_KEY)
    alerts = _alert_list(_require(payload, "alerts", ""), "alerts")
    return [_parse_alertmanager_alert(alert, f"alerts[{i}].", group_key) for i, alert in enumerate(alerts)]


def _parse_alertmanager_alert(alert, where: str, group_key: str) -> ParsedAlert:
    alert = _object(alert, where.rstrip("."))
    labels = _string_map(_require(alert, "labels", where), f"{where}labels")
    annotations = _string_map(alert.get("annotations"), f"{where}annotations", multiline=True)
    fingerprint = _string(
        _require(alert, "fingerprint", where), f"{where}fingerprint", max_length=MAX_FINGERPRINT, allow_empty=False
    )
    title = clean_line(annotations.get("summary", "")).strip() or labels.get("alertname") or fingerprint
    return ParsedAlert(
        fingerprint=fingerprint,
        status=_status(_require(alert, "status", where), f"{where}status"),
        group_key=group_key,
        title=title[:MAX_TITLE],
        severity=severity_from(labels.get("severity")),
        description=annotations.get("description", ""),
        labels=labels,
        annotations=annotations,
        source_url=_url(alert.get("generatorURL")),
        starts_at=_time(alert.get("startsAt"), f"{where}startsAt"),
        ends_at=_time(alert.get("endsAt"), f"{where}endsAt"),
    )


def parse_alertmanager(payload) -> list[ParsedAlert]:
    return _parse_alertmanager_shape(payload, version="4")


def parse_grafana(payload) -> list[ParsedAlert]:
    return _parse_alertmanager_shape(payload, version="1")


# --- Generic ---------------------------------------------------------------------------


def parse_generic(payload) -> list[ParsedAlert]:
    """One alert object, or {"alerts": [alert, ...]}. See README.md for the fields."""
    payload = _object(payload, "")
    if "alerts" in payload:
        alerts = _alert_list(payload["alerts"], "alerts")
        return [_parse_generic_alert(alert, f"alerts[{i}].") for i, alert in enumerate(alerts)]
    return [_parse_generic_alert(payload, "")]


def _parse_generic_alert(alert, where: str) -> ParsedAlert:
    alert = _object(alert, where.rstrip("."))
    status = _status(alert.get("status", FIRING), f"{where}status")
    dedup_key = _string(
        _require(alert, "dedup_key", where), f"{where}dedup_key", max_length=MAX_FINGERPRINT, allow_empty=False
    )
    fingerprint = alert.get("fingerprint", dedup_key)
    fingerprint = _string(fingerprint, f"{where}fingerprint", max_length=MAX_FINGERPRINT, allow_empty=False)
    if status == FIRING:
        title = _string(_require(alert, "title", where), f"{where}title", allow_empty=False)
    else:
        title = _string(alert.get("title", ""), f"{where}title")
    severity = alert.get("severity")
    if severity is not None and severity_from(severity) is None:
        raise PayloadError(f"{where}severity: unknown severity {severity!r}")
    return ParsedAlert(
        fingerprint=fingerprint,
        status=status,
        group_key=dedup_key,
        title=title[:MAX_TITLE],
        severity=severity_from(severity),
        description=_string(alert.get("description", ""), f"{where}description", multiline=True),
        labels=_string_map(alert.get("labels"), f"{where}labels"),
        source_url=_url(alert.get("source_url")),
        starts_at=_time(alert.get("starts_at"), f"{where}starts_at"),
        ends_at=_time(alert.get("ends_at"), f"{where}ends_at"),
    )


PARSERS: dict[str, Callable[[object], list[ParsedAlert]]] = {
    Integration.Kind.ALERTMANAGER: parse_alertmanager,
    Integration.Kind.GRAFANA: parse_grafana,
    Integration.Kind.GENERIC: parse_generic,
}


def parse(kind: str, payload) -> list[ParsedAlert]:
    return PARSERS[kind](payload)
