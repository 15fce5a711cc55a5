"""Statuspage's values as Vigil's: times, impacts, update statuses, subscriber addresses."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.utils.dateparse import parse_datetime

from comms.phones import to_e164
from incidents.models import Impact, PublicStatus, Severity

# Statuspage's impact (impact_override when set) decides a past incident's severity.
SEVERITY = {"critical": Severity.SEV1, "major": Severity.SEV2, "minor": Severity.SEV3, "none": Severity.SEV4}
IMPACT = {"critical": Impact.CRITICAL, "major": Impact.MAJOR, "minor": Impact.MINOR, "none": Impact.NONE}
MAINTENANCE_STATUSES = {"scheduled", "in_progress", "verifying", "completed"}
CLOSED = {"resolved", "postmortem"}
NO_CHANNEL = {
    "slack": "Vigil's subscribers are email, SMS and webhooks: add the Slack channel as a comms Slack endpoint",
    "teams": "Vigil has no Microsoft Teams channel: subscribe an email address or a webhook instead",
    "integration_partner": "integration partners belong to Statuspage",
}


class Unmappable(Exception):
    """The object has no Vigil equivalent; the message says why."""


def when(value) -> datetime | None:
    return parse_datetime(value) if isinstance(value, str) and value else None


def impact_of(row: dict) -> str:
    return row.get("impact_override") or row.get("impact") or "minor"


def update_status(status: str, notes: list[str]) -> str:
    if status in PublicStatus.values:
        return status
    if status == "postmortem":
        notes.append("its post-mortem update is kept as a resolved update")
        return PublicStatus.RESOLVED
    notes.append(f"an update with status {status!r} is kept as investigating")
    return PublicStatus.INVESTIGATING


def subscriber_address(row: dict) -> tuple[str, str]:
    """(Vigil's kind, address) of a Statuspage subscriber; Unmappable or ValidationError when it has none."""
    mode = row.get("mode") or ("sms" if row.get("phone_number") else "email")
    if mode in NO_CHANNEL:
        raise Unmappable(NO_CHANNEL[mode])
    if mode == "email":
        address = (row.get("email") or "").strip()
        validate_email(address)
        return "email", address
    if mode == "sms":
        number, country = row.get("phone_number") or "", (row.get("phone_country") or "").upper() or None
        return "sms", to_e164(number, country)  # a number written with +<country code> needs no country
    if mode == "webhook":
        address = (row.get("endpoint") or "").strip()
        URLValidator(schemes=["http", "https"])(address)
        return "webhook", address
    raise Unmappable(f"Vigil has no {mode} subscribers")


def describe_invalid(exc: ValidationError) -> str:
    return " ".join(exc.messages)
