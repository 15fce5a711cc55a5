"""Actions on integrations: taking in alerts, and creating, changing and re-keying integrations.

Alerts become incidents only through incidents.services (do_declare, do_resolve);
this module decides which alert joins which incident and writes the alert rows and
their timeline rows.
"""

import functools
import hashlib
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import DatabaseError, IntegrityError, connection, transaction
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
    Status,
)
from incidents.services import ActionError, do_declare, do_resolve
from vigil.audit import Actor, record

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

    The hot path comes first: one repeated firing alert, the usual webhook while an alert
    lasts, is one UPDATE statement that checks the token too; it is atomic by itself, so
    it goes without the round trips of a transaction. Anything else looks the integration
    up and goes through do_ingest.
    """
    now = timezone.now()
    tried = None
    if len(alerts) == 1 and alerts[0].firing:
        known = _count_repeat(kind, token, alerts[0], now, hot=True)
        if known is not None:
            integration_id, last_received_at = known
            _touch(integration_id, last_received_at, now)
            return IngestResult(alerts=1, repeated=1)
        tried = alerts[0].fingerprint
    integration = access_integration(kind, token)
    if integration is None:
        return None
    return do_ingest(integration, alerts, now, not_repeated=tried)


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
            elif parsed.fingerprint != not_repeated and _count_repeat(integration.kind, integration.token, parsed, now):
                result.repeated += 1
            else:
                new[parsed.group_key].append(parsed)
        for group_key in sorted(new):
            in_payload_order = sorted(new[group_key], key=lambda alert: position[alert.fingerprint])
            _take_new(integration, group_key, in_payload_order, now, result)
        if integration.auto_resolve:
            for incident_id in sorted(losing_alerts):
                _auto_resolve(integration, incident_id, result)
        _touch(integration.pk, integration.last_received_at, now)
    return result


@functools.cache
def _repeat_sql(placeholders: tuple[str, ...] = ("%s",) * 9) -> str:
    alert, integration, incident = (model._meta.db_table for model in (Alert, Integration, Incident))
    now, title, annotations, fingerprint, firing, token, kind, enabled, resolved = placeholders
    # Table names come from the models; every value is a parameter.
    return f"""
        UPDATE {alert}
        SET received_count = received_count + 1, last_received_at = {now}, title = {title}, annotations = {annotations}
        WHERE fingerprint = {fingerprint} AND status = {firing}
          AND integration_id = (
            SELECT id FROM {integration} WHERE token = {token} AND kind = {kind} AND enabled = {enabled}
          )
          AND EXISTS (
            SELECT 1 FROM {incident} WHERE {incident}.id = {alert}.incident_id AND {incident}.status <> {resolved}
          )
        RETURNING integration_id,
          (SELECT last_received_at FROM {integration} WHERE {integration}.id = {alert}.integration_id)
    """  # noqa: S608


# The hot path's statement, prepared once per PostgreSQL session (_execute_prepared_repeat).
REPEAT_STATEMENT = "vigil_alert_repeat"
REPEAT_TYPES = "timestamptz, text, jsonb, text, text, text, text, boolean, text"
UNDEFINED_PREPARED_STATEMENT = "26000"


def _count_repeat(
    kind: str, token: str, parsed: ParsedAlert, now: datetime, hot: bool = False
) -> tuple[int, datetime | None] | None:
    """Count a known firing alert whose incident is open, in one statement.

    Returns (integration id, integration.last_received_at), or None if there is no such
    row (or no enabled integration of KIND has TOKEN). At most one row matches: the
    partial unique constraint alert_one_firing_per_fingerprint, whose index this UPDATE
    uses, relies on the same condition. It is SQL because on the hot path compiling the
    ORM's version cost more than running it (bench/alerts.py).
    """
    field = Alert._meta.get_field
    params = [
        field("last_received_at").get_db_prep_save(now, connection),
        parsed.title,
        field("annotations").get_db_prep_save(parsed.annotations, connection),
        parsed.fingerprint,
        Alert.Status.FIRING.value,
        token,
        kind,
        True,
        Status.RESOLVED.value,
    ]
    if hot and connection.vendor == "postgresql" and not connection.in_atomic_block:
        row = _execute_prepared_repeat(params)
    else:
        with connection.cursor() as cursor:
            cursor.execute(_repeat_sql(), params)
            row = cursor.fetchone()
    if row is None:
        return None
    return row[0], _as_aware(row[1])


def _execute_prepared_repeat(params: list):
    """The hot path on PostgreSQL, outside any transaction: two savings, measured by bench/alerts.py.

    - The statement is prepared once per session, so it is not planned again each time
      (half the database's work for a repeat). A session that lost it (a pooler's
      DISCARD ALL) prepares it again.
    - It commits without waiting for the WAL flush (synchronous_commit off for this one
      statement): the wait was most of a repeat's time. A database crash can then lose
      the last fraction of a second of repeat counts and times; never an alert row, an
      incident or a resolution, which commit as usual. The sender repeats the alert anyway.
    """
    arguments = ", ".join(["%s"] * len(params))
    # Two statements in one query run as one implicit transaction: SET LOCAL applies to it alone.
    sql = f"SET LOCAL synchronous_commit TO OFF; EXECUTE {REPEAT_STATEMENT} ({arguments})"
    with connection.cursor() as cursor:
        try:
            cursor.execute(sql, params)
        except DatabaseError as exc:
            if getattr(exc.__cause__, "pgcode", None) != UNDEFINED_PREPARED_STATEMENT:
                raise
            numbered = tuple(f"${n}" for n in range(1, len(params) + 1))
            cursor.execute(f"PREPARE {REPEAT_STATEMENT} ({REPEAT_TYPES}) AS {_repeat_sql(numbered)}")
            cursor.execute(sql, params)
        return cursor.fetchone()


def _as_aware(value) -> datetime | None:
    """A datetime read by raw SQL: SQLite returns text, naive and in UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return value


def _take_new(
    integration: Integration, group_key: str, alerts: list[ParsedAlert], now: datetime, result: IngestResult
) -> None:
    """Rows for a group's new firing alerts (in payload order), in the group's open incident, opened if need be."""
    first = alerts[0]
    incident, created = _open_incident(
        integration,
        dedup_key_for(integration, group_key),
        title=first.title[: Incident._meta.get_field("title").max_length],
        severity=min(alert.severity or integration.severity for alert in alerts),  # "sev1" < "sev2"
        summary=first.description,
    )
    joined = {}
    for parsed in sorted(alerts, key=lambda alert: alert.fingerprint):  # the lock order
        row = _create_firing(integration, parsed, incident, now) or _refire(integration, parsed, incident, now)
        if row is None:
            result.repeated += 1
        else:
            result.new += 1
            joined[parsed.fingerprint] = row
    if created:
        result.incidents_opened.append(incident.pk)
    elif joined:
        result.incidents_joined.append(incident.pk)
        IncidentEvent.objects.bulk_create(
            _alert_event(integration, incident.pk, joined[parsed.fingerprint], f"Alert firing: {parsed.title}")
            for parsed in alerts
            if parsed.fingerprint in joined
        )


def _create_firing(integration: Integration, parsed: ParsedAlert, incident: Incident, now: datetime) -> Alert | None:
    """A new firing row in INCIDENT, or None if the alert already has one."""
    try:
        with transaction.atomic():
            return Alert.objects.create(
                integration=integration,
                fingerprint=parsed.fingerprint,
                group_key=parsed.group_key,
                status=Alert.Status.FIRING,
                title=parsed.title,
                labels=parsed.labels,
                annotations=parsed.annotations,
                source_url=parsed.source_url,
                incident=incident,
                starts_at=parsed.starts_at or now,
                last_received_at=now,
            )
    except IntegrityError:
        # alert_one_firing_per_fingerprint: the alert has a firing row already.
        return None


def _refire(integration: Integration, parsed: ParsedAlert, incident: Incident, now: datetime) -> Alert | None:
    """The alert's firing row exists. Returns it, moved into INCIDENT, or None if it was only a repeat."""
    # Another request may have committed the row a moment ago: then it is a repeat.
    if _count_repeat(integration.kind, integration.token, parsed, now):
        return None
    # Its incident was resolved (say by hand) while it kept firing: it joins this one.
    firing = Alert.objects.select_for_update().filter(
        integration=integration, fingerprint=parsed.fingerprint, status=Alert.Status.FIRING
    )
    row = firing.get()
    firing.filter(pk=row.pk).update(
        incident=incident,
        received_count=F("received_count") + 1,
        last_received_at=now,
        title=parsed.title,
        annotations=parsed.annotations,
    )
    return row


def _open_incident(integration: Integration, dedup_key: str, **fields) -> tuple[Incident, bool]:
    """The open incident with DEDUP_KEY, locked, or a new one. Returns (incident, created)."""
    for _ in range(3):
        # Lock the incident before joining it: an auto-resolve running now either finishes
        # first (then this finds none and opens a new one) or sees the new alert.
        incident = Incident.objects.open().select_for_update().only("id", "status").filter(dedup_key=dedup_key).first()
        if incident is not None:
            return incident, False
        if integration.escalation_policy_id:
            fields["escalation_policy"] = integration.escalation_policy  # paging starts with the incident
        incident, created = do_declare(
            actor_for(integration),
            dedup_key=dedup_key,
            source=Source.ALERT,
            components=list(integration.components.all()),
            **fields,
        )
        if created:
            return incident, True
        # Another request opened it a moment ago: lock and join it on the next round.
    return incident, False


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
    result.resolved += 1
    if row.incident_id is None:
        return None
    _alert_event(integration, row.incident_id, row, f"Alert resolved: {row.title}").save()
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


def _alert_event(integration: Integration, incident_id: int, row: Alert, message: str) -> IncidentEvent:
    """The timeline row (unsaved) of an alert joining or leaving an incident."""
    return IncidentEvent(
        incident_id=incident_id,
        kind=IncidentEvent.Kind.ALERT,
        message=message,
        actor_label=actor_for(integration).label,
        data={"alert": row.pk, "fingerprint": row.fingerprint, "integration": integration.pk},
    )


def _touch(integration_id: int, last_received_at: datetime | None, now: datetime) -> None:
    if last_received_at is None or now - last_received_at >= LAST_RECEIVED_RESOLUTION:
        Integration.objects.filter(pk=integration_id).update(last_received_at=now)


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
    integration.token = Integration._meta.get_field("token").get_default()
    integration.save(update_fields=["token"])
    record(actor, "integration.rotate_token", integration)  # never the token itself
    return integration


@transaction.atomic
def do_delete_integration(actor: Actor, integration: Integration) -> None:
    record(actor, "integration.delete", integration, kind=integration.kind)
    integration.delete()
