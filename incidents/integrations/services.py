"""Actions on integrations: taking in alerts, and creating, changing and re-keying integrations.

Alerts become incidents only through incidents.services (do_declare, do_resolve);
this module decides which alert joins which incident and writes the alert rows and
their timeline rows. With Redis, repeats of known alerts are counted there and added
to the rows in bulk (repeats.py); the statements every alert's path runs are written out
in statements.py.
"""

import hashlib
import logging
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from incidents.models import (
    Alert,
    Component,
    EscalationPolicy,
    Incident,
    IncidentEvent,
    Integration,
    Source,
)
from incidents.services import ActionError, do_declare, do_resolve
from vigil.audit import Actor, record

from . import repeats, statements
from .parsers import ParsedAlert

logger = logging.getLogger(__name__)

# Integration.last_received_at is written at most this often, so a repeated alert stays one UPDATE.
LAST_RECEIVED_RESOLUTION = timedelta(minutes=1)
MAX_DEDUP_KEY = 200  # Incident.dedup_key's length


@dataclass(frozen=True)
class IntegrationActor(Actor):
    """Who acts when an alert opens or resolves an incident: the integration, by name."""

    name: str = ""

    @property
    def label(self) -> str:
        return self.name or self.via


def actor_for(integration: Integration) -> IntegrationActor:
    # AuditEntry.via holds at most 10 characters.
    return IntegrationActor(via="webhook", name=integration.name)


@dataclass
class IngestResult:
    """What one payload did. Returned to the sender as the response body."""

    alerts: int = 0
    new: int = 0  # alerts seen firing for the first time
    repeated: int = 0  # firing alerts already known: counted, nothing else
    resolved: int = 0  # firing alerts marked resolved
    ignored: int = 0  # resolved alerts that were not firing here
    incidents_opened: list[int] = field(default_factory=list)
    incidents_joined: list[int] = field(default_factory=list)
    incidents_resolved: list[int] = field(default_factory=list)
    # Not sent back: fingerprint -> (alert id, incident id) of the alerts now firing in an open
    # incident, which later repeats may be counted against (repeats.remember).
    firing: dict[str, tuple[int, int]] = field(default_factory=dict, repr=False)

    def as_dict(self) -> dict:
        return {
            "alerts": self.alerts,
            "new": self.new,
            "repeated": self.repeated,
            "resolved": self.resolved,
            "ignored": self.ignored,
            "incidents": {
                "opened": self.incidents_opened,
                "joined": sorted(set(self.incidents_joined)),
                "resolved": self.incidents_resolved,
            },
        }


def dedup_key_for(integration: Integration, group_key: str) -> str:
    """The incident dedup key of an alert group: the same group joins the same open incident."""
    key = f"integration:{integration.pk}:{group_key}"
    if len(key) > MAX_DEDUP_KEY:
        key = f"integration:{integration.pk}:sha256:{hashlib.sha256(group_key.encode()).hexdigest()}"
    return key


def access_integration(kind: str, token: str) -> Integration | None:
    """The enabled integration of KIND whose secret is TOKEN (a lookup on its unique index), or None."""
    try:
        integration = Integration.objects.get(token=token)
    except Integration.DoesNotExist:
        return None
    return integration if integration.enabled and integration.kind == kind else None


def do_ingest_at(kind: str, token: str, alerts: list[ParsedAlert]) -> IngestResult | None:
    """Take in alerts posted to the URL of KIND and TOKEN. None when no enabled integration has it.

    With Redis, a payload whose alerts are all known repeats is counted there, with no
    database query (repeats.py). Anything else goes to the database, and the alerts it
    finds firing in an open incident are marked in Redis after commit, so that their
    next repeats are counted there.
    """
    now = timezone.now()
    read_at = time.monotonic()  # before any database read: repeats.remember checks its age
    latest = {alert.fingerprint: alert for alert in alerts}  # twice in one payload: counted once, as in do_ingest
    generation = None
    if all(alert.firing for alert in alerts):
        counted, generation = repeats.count(kind, token, list(latest.values()), now)
        if counted:
            return IngestResult(alerts=len(alerts), repeated=len(latest))
    result = _ingest_in_database(kind, token, alerts, now, generation)
    if result is not None and generation is not None and result.firing:
        markers = [(latest[fingerprint], *ids) for fingerprint, ids in result.firing.items()]
        transaction.on_commit(lambda: repeats.remember(kind, token, generation, markers, read_at))
    return result


def _ingest_in_database(
    kind: str, token: str, alerts: list[ParsedAlert], now: datetime, generation: str | None
) -> IngestResult | None:
    """The hot path comes first: one repeated firing alert, the usual webhook while an alert
    lasts, is one UPDATE statement that checks the token too; it is atomic by itself, so
    it goes without the round trips of a transaction. Anything else looks the integration
    up (cached under the token's GENERATION, when Redis gave one) and goes through do_ingest.
    """
    tried = None
    if len(alerts) == 1 and alerts[0].firing:
        known = statements.count_repeat(kind, token, alerts[0], now, hot=True)
        if known is not None:
            _touch(known.integration_id, known.integration_received_at, now)
            result = IngestResult(alerts=1, repeated=1)
            result.firing[alerts[0].fingerprint] = (known.alert_id, known.incident_id)
            return result
        tried = alerts[0].fingerprint
    integration = _integration_at(kind, token, generation)
    if integration is None:
        return None
    if tried is not None and (joined := _join_open_incident(integration, alerts[0], now)):
        return joined
    return do_ingest(integration, alerts, now, not_repeated=tried)


def _join_open_incident(integration: Integration, parsed: ParsedAlert, now: datetime) -> IngestResult | None:
    """A new alert joining its group's open incident in one statement (statements.join_open_incident)."""
    event = _alert_event(integration, 0, 0, parsed.fingerprint, f"Alert firing: {parsed.title}")
    joined = statements.join_open_incident(
        integration, parsed, dedup_key_for(integration, parsed.group_key), event, now
    )
    if joined is None:
        return None
    _touch_integration(integration, now)
    result = IngestResult(alerts=1, new=1, incidents_joined=[joined[1]])
    result.firing[parsed.fingerprint] = joined
    return result


def _integration_at(kind: str, token: str, generation: str | None) -> Integration | None:
    if generation is None:
        return access_integration(kind, token)
    integration = repeats.cached_integration(kind, token, generation)
    if integration is None:
        integration = access_integration(kind, token)
        if integration is not None:
            repeats.cache_integration(kind, token, generation, integration)
    return integration


def do_ingest(
    integration: Integration, alerts: list[ParsedAlert], now: datetime | None = None, not_repeated: str | None = None
) -> IngestResult:
    """Take in one payload's alerts, all in one transaction.

    A firing alert already known (and grouped into an open incident) is counted. A new
    one gets a row in the open incident of its group, opened if need be; a resolved one
    marks its row resolved, and with integration.auto_resolve the incident resolves when
    no alert of it is firing any more. NOT_REPEATED names a fingerprint the caller has
    just failed to count as a repeat.

    Locks are taken in one order, so two payloads touching the same alerts wait for each
    other instead of deadlocking: known alert rows by fingerprint, then each group's
    incident (by group key) with its new rows, then incidents to resolve, by id.
    """
    now = now or timezone.now()
    result = IngestResult(alerts=len(alerts))
    latest = {alert.fingerprint: alert for alert in alerts}  # twice in one payload: the last one wins
    position = {alert.fingerprint: i for i, alert in enumerate(alerts)}
    with transaction.atomic():
        new: dict[str, list[ParsedAlert]] = defaultdict(list)
        losing_alerts: set[int] = set()
        for parsed in sorted(latest.values(), key=lambda alert: alert.fingerprint):
            if not parsed.firing:
                incident_id = _take_resolved(integration, parsed, now, result)
                if incident_id is not None:
                    losing_alerts.add(incident_id)
            elif parsed.fingerprint != not_repeated and (
                known := statements.count_repeat(integration.kind, integration.token, parsed, now)
            ):
                result.repeated += 1
                result.firing[parsed.fingerprint] = (known.alert_id, known.incident_id)
            else:
                new[parsed.group_key].append(parsed)
        for group_key in sorted(new):
            in_payload_order = sorted(new[group_key], key=lambda alert: position[alert.fingerprint])
            _take_new(integration, group_key, in_payload_order, now, result)
        if integration.auto_resolve:
            for incident_id in sorted(losing_alerts):
                _auto_resolve(integration, incident_id, result)
        _touch_integration(integration, now)
    return result


def _take_new(
    integration: Integration, group_key: str, alerts: list[ParsedAlert], now: datetime, result: IngestResult
) -> None:
    """Rows for a group's new firing alerts (in payload order), in the group's open incident, opened if need be."""
    first = alerts[0]
    incident_id, created = _open_incident(
        integration,
        dedup_key_for(integration, group_key),
        title=first.title[: Incident._meta.get_field("title").max_length],
        severity=min(alert.severity or integration.severity for alert in alerts),  # "sev1" < "sev2"
        summary=first.description,
    )
    joined = {}
    for parsed in sorted(alerts, key=lambda alert: alert.fingerprint):  # the lock order
        alert_id = statements.create_firing(integration, parsed, incident_id, now) or _refire(
            integration, parsed, incident_id, now
        )
        if alert_id is None:
            result.repeated += 1
        else:
            result.new += 1
            joined[parsed.fingerprint] = alert_id
            result.firing[parsed.fingerprint] = (alert_id, incident_id)
    if created:
        result.incidents_opened.append(incident_id)
    elif joined:
        result.incidents_joined.append(incident_id)
        IncidentEvent.objects.bulk_create(
            _alert_event(integration, incident_id, joined[a.fingerprint], a.fingerprint, f"Alert firing: {a.title}")
            for a in alerts
            if a.fingerprint in joined
        )


def _refire(integration: Integration, parsed: ParsedAlert, incident_id: int, now: datetime) -> int | None:
    """The alert's firing row exists. Returns its id, moved into the incident, or None if it was only a repeat."""
    # Another request may have committed the row a moment ago: then it is a repeat.
    if statements.count_repeat(integration.kind, integration.token, parsed, now):
        return None
    # Its incident was resolved (say by hand) while it kept firing: it joins this one.
    firing = Alert.objects.select_for_update().filter(
        integration=integration, fingerprint=parsed.fingerprint, status=Alert.Status.FIRING
    )
    alert_id = firing.values_list("pk", flat=True).get()
    firing.filter(pk=alert_id).update(
        incident_id=incident_id,
        received_count=F("received_count") + 1,
        last_received_at=now,
        title=parsed.title,
        annotations=parsed.annotations,
    )
    return alert_id


def _open_incident(integration: Integration, dedup_key: str, **fields) -> tuple[int, bool]:
    """The open incident with DEDUP_KEY, locked, or a new one. Returns (its id, created)."""
    for _ in range(3):
        # Lock the incident before joining it: an auto-resolve running now either finishes
        # first (then this finds none and opens a new one) or sees the new alert.
        incident_id = statements.lock_open_incident(dedup_key)
        if incident_id is not None:
            return incident_id, False
        if integration.escalation_policy_id:
            # Paging starts with the incident. Read now: the integration may be cached (_integration_at),
            # and the policy edited or deleted since.
            fields["escalation_policy"] = EscalationPolicy.objects.filter(pk=integration.escalation_policy_id).first()
        incident, created = do_declare(
            actor_for(integration),
            dedup_key=dedup_key,
            source=Source.ALERT,
            components=list(integration.components.all()),
            **fields,
        )
        if created:
            return incident.pk, True
        # Another request opened it a moment ago: lock and join it on the next round.
    return incident.pk, False


def _take_resolved(integration: Integration, parsed: ParsedAlert, now: datetime, result: IngestResult) -> int | None:
    """Mark a firing alert resolved. Returns the id of its incident, which may now be resolvable."""
    row = (
        Alert.objects.select_for_update()
        .filter(integration=integration, fingerprint=parsed.fingerprint, status=Alert.Status.FIRING)
        .first()
    )
    if row is None:
        result.ignored += 1
        return None
    Alert.objects.filter(pk=row.pk).update(
        status=Alert.Status.RESOLVED, ends_at=parsed.ends_at or now, last_received_at=now
    )
    repeats.forget_alerts([row.pk])
    result.resolved += 1
    if row.incident_id is None:
        return None
    _alert_event(integration, row.incident_id, row.pk, row.fingerprint, f"Alert resolved: {row.title}").save()
    return row.incident_id


def _auto_resolve(integration: Integration, incident_id: int, result: IngestResult) -> None:
    incident = Incident.objects.select_for_update().get(pk=incident_id)
    if not incident.is_open or incident.alerts.filter(status=Alert.Status.FIRING).exists():
        return
    try:
        do_resolve(actor_for(integration), incident, message="Resolved: all its alerts resolved.")
    except ActionError:
        return  # resolved meanwhile
    result.incidents_resolved.append(incident.pk)


def _alert_event(
    integration: Integration, incident_id: int, alert_id: int, fingerprint: str, message: str
) -> IncidentEvent:
    """The timeline row (unsaved) of an alert joining or leaving an incident."""
    return IncidentEvent(
        incident_id=incident_id,
        kind=IncidentEvent.Kind.ALERT,
        message=message,
        actor_label=actor_for(integration).label,
        data={"alert": alert_id, "fingerprint": fingerprint, "integration": integration.pk},
    )


def _touch(integration_id: int, last_received_at: datetime | None, now: datetime) -> bool:
    if last_received_at is None or now - last_received_at >= LAST_RECEIVED_RESOLUTION:
        Integration.objects.filter(pk=integration_id).update(last_received_at=now)
        return True
    return False


def _touch_integration(integration: Integration, now: datetime) -> None:
    if _touch(integration.pk, integration.last_received_at, now):
        integration.last_received_at = now  # it may be cached, and reused (_integration_at)


# --- Managing integrations -------------------------------------------------------------


@transaction.atomic
def do_create_integration(
    actor: Actor,
    *,
    name: str,
    kind: str,
    severity: str | None = None,
    components: Iterable[Component] = (),
    escalation_policy: EscalationPolicy | None = None,
    auto_resolve: bool = True,
    enabled: bool = True,
) -> Integration:
    integration = Integration(
        name=name,
        kind=kind,
        escalation_policy=escalation_policy,
        auto_resolve=auto_resolve,
        enabled=enabled,
        created_by=actor.user,
    )
    if severity:
        integration.severity = severity
    integration.save()
    integration.components.set(components)
    record(actor, "integration.create", integration, kind=kind)
    return integration


EDITABLE = {"name", "severity", "components", "escalation_policy", "auto_resolve", "enabled"}


@transaction.atomic
def do_update_integration(actor: Actor, integration: Integration, **changes) -> Integration:
    """Change an integration's settings. The kind and the token are not among them."""
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValueError(f"Not editable: {', '.join(sorted(unknown))}")
    components = changes.pop("components", None)
    for name, value in changes.items():
        setattr(integration, name, value)
    if changes:
        integration.save(update_fields=list(changes))
    if components is not None:
        integration.components.set(components)
    changed = sorted(changes) + (["components"] if components is not None else [])
    record(actor, "integration.update", integration, fields=changed)
    return integration


@transaction.atomic
def do_rotate_token(actor: Actor, integration: Integration) -> Integration:
    """A new secret URL. The old one answers 404 from now on."""
    repeats.forget_token(integration.token)
    integration.token = Integration._meta.get_field("token").get_default()
    integration.save(update_fields=["token"])
    record(actor, "integration.rotate_token", integration)  # never the token itself
    return integration


@transaction.atomic
def do_delete_integration(actor: Actor, integration: Integration) -> None:
    record(actor, "integration.delete", integration, kind=integration.kind)
    integration.delete()
