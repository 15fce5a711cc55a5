"""Recording a past incident as it happened, for importers (issue #17): history, not news.

do_declare, do_post_update and do_resolve are for what happens now: they page, they announce, and
comms tells stakeholders and subscribers. An incident another tool already handled must do none
of that, so do_import_incident writes it resolved, with its public updates and timeline at their
original times, and sends no incident signal: nobody is paged, no fan-out starts and no
post-mortem is drafted (postmortems listens to incident_resolved). The status page shows it from
its next rebuild (comms.status.triggers rebuilds on the saves of its updates).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction

from vigil.audit import Actor, record
from vigil.text import clean_line, clean_text

from .models import (
    Component,
    ComponentStatus,
    Impact,
    Incident,
    IncidentComponent,
    IncidentEvent,
    IncidentUpdate,
    PublicStatus,
    Severity,
    Status,
)
from .services import ActionError


@dataclass
class PastUpdate:
    """A public update as it was posted: its status, words, time and affected components' statuses."""

    status: str
    message: str
    created_at: datetime
    components: dict[Component, str] = field(default_factory=dict)


def _times(updates: Sequence[PastUpdate], resolved_at: datetime) -> dict[str, datetime | None]:
    """When the incident was first identified and monitored, from its updates. Acknowledged is the first
    move past investigating (or the resolution): the other tool has no acknowledgement, and MTTA must
    not exceed MTTR."""
    first = {
        status: min((u.created_at for u in updates if u.status == status), default=None) for status in PublicStatus
    }
    moved = [t for t in (first[PublicStatus.IDENTIFIED], first[PublicStatus.MONITORING]) if t is not None]
    return {
        "identified_at": first[PublicStatus.IDENTIFIED],
        "monitoring_at": first[PublicStatus.MONITORING],
        "acknowledged_at": min(moved, default=resolved_at),
    }


def _check(title: str, started_at: datetime, resolved_at: datetime, updates: Sequence[PastUpdate]) -> None:
    if not title:
        raise ActionError("An incident needs a title.")
    if len(title) > Incident._meta.get_field("title").max_length:
        raise ActionError(f"A title has at most {Incident._meta.get_field('title').max_length} characters.")
    if resolved_at < started_at:
        raise ActionError("An incident cannot be resolved before it started.")
    for update in updates:
        if update.status not in PublicStatus.values:
            raise ActionError(f"{update.status!r} is not a public status.")
        for status in update.components.values():
            if status not in ComponentStatus.values:
                raise ActionError(f"{status!r} is not a component status.")


@transaction.atomic
def do_import_incident(
    actor: Actor,
    *,
    title: str,
    started_at: datetime,
    resolved_at: datetime,
    severity: str = Severity.SEV3,
    impact: str = Impact.MINOR,
    summary: str = "",
    components: Mapping[Component, str] | None = None,
    updates: Sequence[PastUpdate] = (),
    origin: str = "another tool",
) -> Incident:
    """A resolved incident with its public updates and timeline at their original times; no signal is sent.

    COMPONENTS (component -> the status the incident gave it) are its affected components; the
    components' own status is left alone (a resolved incident gives them none).
    """
    title = clean_line(title).strip()
    _check(title, started_at, resolved_at, updates)
    updates = sorted(updates, key=lambda u: u.created_at)
    incident = Incident.objects.create(
        title=title,
        summary=clean_text(summary),
        severity=severity,
        impact=impact,
        status=Status.RESOLVED,
        started_at=started_at,
        resolved_at=resolved_at,
        **_times(updates, resolved_at),
    )
    IncidentComponent.objects.bulk_create(
        IncidentComponent(incident=incident, component=c, status=s) for c, s in (components or {}).items()
    )
    events = [_event(incident, actor, IncidentEvent.Kind.DECLARED, f"Imported from {origin}: {title}", started_at)]
    for past in updates:
        update = IncidentUpdate.objects.create(
            incident=incident,
            status=past.status,
            message=clean_text(past.message).strip() or PublicStatus(past.status).label,
            affected_components=[
                {"code": str(c.pk), "name": c.name, "new_status": s} for c, s in past.components.items() if c.public
            ],
            created_at=past.created_at,
        )
        events.append(
            _event(incident, actor, IncidentEvent.Kind.UPDATE, update.message, past.created_at, True, update=update.pk)
        )
    events.append(_event(incident, actor, IncidentEvent.Kind.RESOLVED, f"Resolved (in {origin})", resolved_at))
    IncidentEvent.objects.bulk_create(events)
    record(actor, "incident.import", incident, origin=origin, updates=len(updates))
    return incident


def _event(incident, actor: Actor, kind: str, message: str, at: datetime, public: bool = False, **data):
    return IncidentEvent(
        incident=incident,
        kind=kind,
        message=message,
        public=public,
        actor=actor.user,
        actor_label=actor.label,
        data=data,
        created_at=at,
    )
