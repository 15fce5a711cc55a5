"""Path 4, the general one: whatever the faster paths passed on, whole, in one transaction (do_ingest)."""

from collections import defaultdict
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from incidents.models import Alert, EscalationPolicy, Incident, IncidentEvent, Integration, Source
from incidents.services import ActionError, do_declare, do_resolve

from .. import buffer, services, statements
from ..delivery import Delivery, IngestResult
from ..parsers import ParsedAlert


def take(delivery: Delivery) -> IngestResult | None:
    """The payload, whole. None only when no enabled integration has the URL."""
    integration = delivery.integration
    if integration is None:
        return None
    return do_ingest(integration, delivery.alerts, delivery.now, not_repeated=delivery.tried_repeat)


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
        services.note_integration_received(integration, now)
    return result


def _take_new(
    integration: Integration, group_key: str, alerts: list[ParsedAlert], now: datetime, result: IngestResult
) -> None:
    """Rows for a group's new firing alerts (in payload order), in the group's open incident, opened if need be."""
    first = alerts[0]
    incident_id, created = _open_incident(
        integration,
        services.dedup_key_for(integration, group_key),
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
            services.alert_event(
                integration, incident_id, joined[a.fingerprint], a.fingerprint, f"Alert firing: {a.title}"
            )
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
            # Paging starts with the incident. Read now: the integration may be cached (access.py),
            # and the policy edited or deleted since.
            fields["escalation_policy"] = EscalationPolicy.objects.filter(pk=integration.escalation_policy_id).first()
        incident, created = do_declare(
            services.actor_for(integration),
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
    buffer.forget_alerts([row.pk])
    result.resolved += 1
    if row.incident_id is None:
        return None
    services.alert_event(integration, row.incident_id, row.pk, row.fingerprint, f"Alert resolved: {row.title}").save()
    return row.incident_id


def _auto_resolve(integration: Integration, incident_id: int, result: IngestResult) -> None:
    incident = Incident.objects.select_for_update().get(pk=incident_id)
    if not incident.is_open or incident.alerts.filter(status=Alert.Status.FIRING).exists():
        return
    try:
        do_resolve(services.actor_for(integration), incident, message="Resolved: all its alerts resolved.")
    except ActionError:
        return  # resolved meanwhile
    result.incidents_resolved.append(incident.pk)
