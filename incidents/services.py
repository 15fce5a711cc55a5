"""Actions on incidents. The dashboard and the API both call these, and only these.

Each do_* function checks the move is allowed, writes the change and its timeline
row in one transaction, records the audit entry, and announces itself after commit.
"""

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone

from vigil.audit import Actor, record

from . import signals
from .models import Component, Incident, IncidentEvent, Severity, Source, Status


class ActionError(Exception):
    """The action is not allowed in the incident's present state. The message says why."""


def _event(
    incident: Incident, actor: Actor, kind: str, message: str = "", public: bool = False, **data
) -> IncidentEvent:
    return IncidentEvent.objects.create(
        incident=incident,
        kind=kind,
        message=message,
        public=public,
        actor=actor.user,
        actor_label=actor.label,
        data=data,
    )


def _announce(signal, incident: Incident, actor: Actor) -> None:
    transaction.on_commit(lambda: signal.send(sender=Incident, incident=incident, actor=actor))


def do_declare(
    actor: Actor,
    *,
    title: str,
    severity: str = Severity.SEV3,
    summary: str = "",
    components: Iterable[Component] = (),
    source: str = Source.MANUAL,
    dedup_key: str = "",
) -> tuple[Incident, bool]:
    """Open an incident. With a dedup key, join the open incident that has it instead.

    Returns (incident, created).
    """
    if dedup_key:
        existing = Incident.objects.open().filter(dedup_key=dedup_key).first()
        if existing:
            return existing, False
    try:
        with transaction.atomic():
            incident = Incident.objects.create(
                title=title,
                severity=severity,
                summary=summary,
                source=source,
                dedup_key=dedup_key,
                created_by=actor.user,
            )
            incident.components.set(components)
            _event(incident, actor, IncidentEvent.Kind.DECLARED, f"Declared {incident.get_severity_display()}: {title}")
            record(actor, "incident.declare", incident, severity=severity, source=source)
            _announce(signals.incident_declared, incident, actor)
    except IntegrityError:
        # Lost the race to another signal with the same key: the unique
        # constraint kept one open incident; join it.
        if not dedup_key:
            raise
        return Incident.objects.open().get(dedup_key=dedup_key), False
    return incident, True


def _locked(incident: Incident) -> Incident:
    return Incident.objects.select_for_update().get(pk=incident.pk)


@transaction.atomic
def do_acknowledge(actor: Actor, incident: Incident) -> Incident:
    incident = _locked(incident)
    if incident.status != Status.TRIGGERED:
        raise ActionError(
            f"Incident is already {incident.get_status_display().lower()}; only a triggered incident is acknowledged."
        )
    incident.status = Status.ACKNOWLEDGED
    incident.acknowledged_at = timezone.now()
    incident.acknowledged_by = actor.user
    incident.save(update_fields=["status", "acknowledged_at", "acknowledged_by"])
    _event(incident, actor, IncidentEvent.Kind.ACKNOWLEDGED, f"Acknowledged by {actor.label}")
    record(actor, "incident.acknowledge", incident)
    _announce(signals.incident_acknowledged, incident, actor)
    return incident


@transaction.atomic
def do_change_status(actor: Actor, incident: Incident, status: str, message: str = "") -> Incident:
    incident = _locked(incident)
    if status == Status.RESOLVED:
        raise ActionError("Use resolve to resolve an incident.")
    if not incident.can_move_to(status):
        raise ActionError(f"An incident cannot move from {incident.status} to {status}.")
    reopened = incident.status == Status.RESOLVED
    previous = incident.status
    incident.status = status
    if reopened:
        incident.resolved_at = None
    incident.save(update_fields=["status", "resolved_at"])
    kind = IncidentEvent.Kind.REOPENED if reopened else IncidentEvent.Kind.STATUS
    _event(incident, actor, kind, message or f"Status {previous} → {status}", previous=previous, status=status)
    record(actor, "incident.reopen" if reopened else "incident.status", incident, previous=previous, status=status)
    _announce(signals.incident_status_changed, incident, actor)
    return incident


@transaction.atomic
def do_resolve(actor: Actor, incident: Incident, message: str = "") -> Incident:
    incident = _locked(incident)
    if not incident.can_move_to(Status.RESOLVED):
        raise ActionError("Incident is already resolved.")
    now = timezone.now()
    incident.status = Status.RESOLVED
    incident.resolved_at = now
    # Resolving implies someone looked: MTTA never exceeds MTTR.
    if incident.acknowledged_at is None:
        incident.acknowledged_at = now
        incident.acknowledged_by = actor.user
    incident.save(update_fields=["status", "resolved_at", "acknowledged_at", "acknowledged_by"])
    _event(incident, actor, IncidentEvent.Kind.RESOLVED, message or f"Resolved by {actor.label}")
    record(actor, "incident.resolve", incident)
    _announce(signals.incident_resolved, incident, actor)
    return incident


@transaction.atomic
def do_add_note(actor: Actor, incident: Incident, message: str) -> IncidentEvent:
    if not message.strip():
        raise ActionError("A note needs some text.")
    event = _event(incident, actor, IncidentEvent.Kind.NOTE, message.strip())
    record(actor, "incident.note", incident)
    return event
