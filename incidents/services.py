"""Actions on incidents. The dashboard and the API both call these, and only these.

Each do_* function checks the move is allowed, writes the change and its timeline
row in one transaction, records the audit entry, and announces itself after commit.
The actions that page people (escalate, page the on-call, acknowledge by a page's link) are in
incidents.paging_actions.
"""

import secrets
from collections.abc import Iterable, Mapping

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from vigil.audit import Actor, record
from vigil.text import clean_line, clean_text

from . import escalation, signals
from .models import (
    PUBLIC_STATUS,
    Component,
    ComponentStatus,
    EscalationPolicy,
    Impact,
    Incident,
    IncidentComponent,
    IncidentEvent,
    IncidentUpdate,
    Page,
    PublicStatus,
    Severity,
    Source,
    Status,
    worst_status,
)

ROLES = {"commander": "incident commander", "comms_lead": "communications lead", "scribe": "scribe"}
DEFAULT_IMPACT = {Severity.SEV1: Impact.CRITICAL, Severity.SEV2: Impact.MAJOR, Severity.SEV3: Impact.MINOR}


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


def _announce(signal, incident: Incident, actor: Actor, **extra) -> None:
    transaction.on_commit(lambda: signal.send(sender=Incident, incident=incident, actor=actor, **extra))


def _locked(incident: Incident) -> Incident:
    return Incident.objects.select_for_update().get(pk=incident.pk)


def war_room_urls(incident: Incident) -> tuple[str, str]:
    """The bridge and chat links made from the configured templates: {token}, an unguessable name made for
    this incident, and {id} and {slug}. None unless configured (VIGIL_BRIDGE_URL_TEMPLATE: issue #15)."""
    values = {"id": incident.pk, "slug": slugify(incident.title)[:40] or "incident", "token": secrets.token_urlsafe(16)}
    return (
        settings.VIGIL_BRIDGE_URL_TEMPLATE.format(**values) if settings.VIGIL_BRIDGE_URL_TEMPLATE else "",
        settings.VIGIL_CHAT_URL_TEMPLATE.format(**values) if settings.VIGIL_CHAT_URL_TEMPLATE else "",
    )


def _as_statuses(components) -> dict[Component, str]:
    if isinstance(components, Mapping):
        return dict(components)
    return {component: ComponentStatus.PARTIAL_OUTAGE for component in components}


OPEN_STATUSES = [s for s in Status.values if s != Status.RESOLVED]


def refresh_component_status(components: Iterable[Component]) -> None:
    """A component's status is the worst its open incidents give it (operational when none),
    except under maintenance, which holds until do_set_maintenance ends it.

    One query for all the components' open statuses, then one UPDATE per status to set, of the rows
    whose stored status differs: the stored one, not the caller's copy, which may be stale.
    """
    components = list(components)
    statuses: dict[int, list[str]] = {c.pk: [] for c in components}
    rows = IncidentComponent.objects.filter(component__in=components, incident__status__in=OPEN_STATUSES)
    for component_id, status in rows.values_list("component_id", "status"):
        statuses[component_id].append(status)
    targets: dict[str, list[int]] = {}
    for component in components:
        targets.setdefault(worst_status(statuses[component.pk]), []).append(component.pk)
    for status, pks in targets.items():
        Component.objects.filter(pk__in=pks).exclude(status__in=[status, ComponentStatus.MAINTENANCE]).update(
            status=status, updated_at=timezone.now()
        )


@transaction.atomic
def do_set_maintenance(actor: Actor, components: Iterable[Component], on: bool) -> None:
    """Put COMPONENTS under maintenance (ON) or take them out of it.

    Under maintenance outranks what open incidents give a component (refresh_component_status
    leaves it alone) and holds its monitors' alerts (monitoring.recording.in_maintenance). Taken
    out, its status is again the worst its open incidents give it.
    """
    pks = [component.pk for component in components]
    now = timezone.now()
    if on:
        changed = list(Component.objects.filter(pk__in=pks).exclude(status=ComponentStatus.MAINTENANCE))
        Component.objects.filter(pk__in=[c.pk for c in changed]).update(
            status=ComponentStatus.MAINTENANCE, updated_at=now
        )
    else:
        changed = list(Component.objects.filter(pk__in=pks, status=ComponentStatus.MAINTENANCE))
        Component.objects.filter(pk__in=[c.pk for c in changed]).update(
            status=ComponentStatus.OPERATIONAL, updated_at=now
        )
        refresh_component_status(changed)
    for component in changed:
        record(actor, "component.maintenance_start" if on else "component.maintenance_end", component)


def do_declare(
    actor: Actor,
    *,
    title: str,
    severity: str = Severity.SEV3,
    summary: str = "",
    components: Iterable[Component] | Mapping[Component, str] = (),
    source: str = Source.MANUAL,
    dedup_key: str = "",
    impact: str | None = None,
    escalation_policy: EscalationPolicy | None = None,
    paging: bool = True,
    commander=None,
) -> tuple[Incident, bool]:
    """Open an incident. With a dedup key, join the open incident that has it instead.

    Returns (incident, created). Paging starts at once: with ESCALATION_POLICY, that one; without,
    the default for the severity and components (escalation.default_policy), so a SEV1 declared in
    a hurry, by a monitor or by an alert still pages someone. PAGING=False is the declarer's explicit
    choice to page nobody: it is written on the timeline and in the audit entry, so nobody later
    mistakes it for a forgotten field. Control characters are dropped from the title and summary
    whichever door they came through (vigil.text).
    """
    title, summary = clean_line(title).strip(), clean_text(summary)
    if not title:
        raise ActionError("An incident needs a title.")
    if not paging and escalation_policy is not None:
        raise ActionError("Choose an escalation policy or no paging, not both.")
    if dedup_key:
        existing = Incident.objects.open().filter(dedup_key=dedup_key).first()
        if existing:
            return existing, False
    affected = _as_statuses(components)
    try:
        with transaction.atomic():
            incident = Incident.objects.create(
                title=title,
                severity=severity,
                summary=summary,
                source=source,
                dedup_key=dedup_key,
                impact=impact or DEFAULT_IMPACT.get(severity, Impact.NONE),
                created_by=actor.user,
                commander=commander,
            )
            incident.bridge_url, incident.chat_url = war_room_urls(incident)
            incident.save(update_fields=["bridge_url", "chat_url"])
            IncidentComponent.objects.bulk_create(
                IncidentComponent(incident=incident, component=c, status=s) for c, s in affected.items()
            )
            refresh_component_status(affected)
            _event(incident, actor, IncidentEvent.Kind.DECLARED, f"Declared {incident.get_severity_display()}: {title}")
            policy, reason = _declared_policy(severity, affected, escalation_policy, paging)
            record(actor, "incident.declare", incident, severity=severity, source=source, paging=_paging_label(policy))
            _start_declared_paging(actor, incident, policy, reason, paging)
            _announce(signals.incident_declared, incident, actor)
    except IntegrityError:
        # Lost the race to another signal with the same key: the unique
        # constraint kept one open incident; join it.
        if not dedup_key:
            raise
        return Incident.objects.open().get(dedup_key=dedup_key), False
    return incident, True


def _declared_policy(severity: str, affected, chosen: EscalationPolicy | None, paging: bool):
    if not paging:
        return None, ""
    if chosen is not None:
        return chosen, "chosen"
    return escalation.default_policy(severity, affected)


def _paging_label(policy: EscalationPolicy | None) -> str:
    return policy.name if policy is not None else "none"


def _start_declared_paging(actor: Actor, incident: Incident, policy, reason: str, paging: bool) -> None:
    if not paging:
        message = f"Declared without paging: {actor.label} chose to page nobody"
        _event(incident, actor, IncidentEvent.Kind.ESCALATED, message, paging="none")
    elif policy is not None:
        reason = f"chosen by {actor.label}" if reason == "chosen" else reason
        _event(incident, actor, IncidentEvent.Kind.ESCALATED, f"Paging {policy.name} ({reason})", policy=policy.pk)
        escalation.start(actor, incident, policy)


@transaction.atomic
def do_acknowledge(actor: Actor, incident: Incident) -> Incident:
    """Someone is on it: paging stops. The returned incident's `stopped_paging` says whether paging was
    running (escalation.is_paging), so nobody is told "paging stopped" when nothing was paging; the
    timeline row says the same."""
    incident = _locked(incident)
    if incident.status != Status.TRIGGERED:
        raise ActionError(
            f"Incident is already {incident.get_status_display().lower()}; only a triggered incident is acknowledged."
        )
    stopped_paging = escalation.is_paging(incident)
    incident.status = Status.ACKNOWLEDGED
    incident.acknowledged_at = timezone.now()
    incident.acknowledged_by = actor.user
    escalation.stop(incident)
    incident.save()
    Page.objects.filter(incident=incident, user=actor.user).exclude(status=Page.Status.FAILED).update(
        status=Page.Status.ACKNOWLEDGED
    )
    message = f"Acknowledged by {actor.label}" + ("; paging stopped" if stopped_paging else "")
    _event(incident, actor, IncidentEvent.Kind.ACKNOWLEDGED, message, stopped_paging=stopped_paging)
    incident.stopped_paging = stopped_paging
    record(actor, "incident.acknowledge", incident)
    _announce(signals.incident_acknowledged, incident, actor)
    return incident


def _stamp_status_times(incident: Incident, status: str, now) -> None:
    if status == Status.IDENTIFIED and incident.identified_at is None:
        incident.identified_at = now
    if status == Status.MONITORING and incident.monitoring_at is None:
        incident.monitoring_at = now
    # Moving past "triggered" by hand counts as acknowledging it.
    if status != Status.TRIGGERED and incident.acknowledged_at is None:
        incident.acknowledged_at = now


@transaction.atomic
def do_change_status(actor: Actor, incident: Incident, status: str, message: str = "") -> Incident:
    message = clean_text(message).strip()
    incident = _locked(incident)
    if status == Status.RESOLVED:
        raise ActionError("Use resolve to resolve an incident.")
    if status not in Status.values:
        raise ActionError(f"{status!r} is not an incident status.")
    if not incident.can_move_to(status):
        raise ActionError(f"An incident cannot move from {incident.status} to {status}.")
    reopened = incident.status == Status.RESOLVED
    previous = incident.status
    now = timezone.now()
    incident.status = status
    if reopened:
        incident.resolved_at = None
    else:
        escalation.stop(incident)
        if incident.acknowledged_by is None and incident.acknowledged_at is None:
            incident.acknowledged_by = actor.user
    _stamp_status_times(incident, status, now)
    incident.save()
    kind = IncidentEvent.Kind.REOPENED if reopened else IncidentEvent.Kind.STATUS
    _event(incident, actor, kind, message or f"Status {previous} → {status}", previous=previous, status=status)
    record(actor, "incident.reopen" if reopened else "incident.status", incident, previous=previous, status=status)
    if reopened:
        refresh_component_status(incident.components.all())
        _announce(signals.incident_reopened, incident, actor)
    _announce(signals.incident_status_changed, incident, actor)
    return incident


@transaction.atomic
def do_reopen(actor: Actor, incident: Incident, message: str = "") -> Incident:
    incident = _locked(incident)
    if incident.status != Status.RESOLVED:
        raise ActionError("Only a resolved incident can be reopened.")
    return do_change_status(actor, incident, Status.INVESTIGATING, message or f"Reopened by {actor.label}")


@transaction.atomic
def do_change_severity(actor: Actor, incident: Incident, severity: str) -> Incident:
    incident = _locked(incident)
    if severity not in Severity.values:
        raise ActionError(f"{severity!r} is not a severity.")
    if severity == incident.severity:
        return incident
    previous, incident.severity = incident.severity, severity
    incident.save(update_fields=["severity", "updated_at"])
    _event(
        incident,
        actor,
        IncidentEvent.Kind.SEVERITY,
        f"Severity {previous.upper()} → {severity.upper()}",
        previous=previous,
    )
    record(actor, "incident.severity", incident, previous=previous, severity=severity)
    _announce(signals.incident_severity_changed, incident, actor)
    return incident


# --- issue #15, monitors part: a title that follows what it describes -----------------------------
@transaction.atomic
def do_retitle(actor: Actor, incident: Incident, title: str) -> Incident:
    """Give INCIDENT a new title (monitoring.alerting keeps a redundancy incident's count current)."""
    incident = _locked(incident)
    title = clean_line(title).strip()
    if not title:
        raise ActionError("An incident needs a title.")
    if len(title) > Incident._meta.get_field("title").max_length:
        raise ActionError(f"A title has at most {Incident._meta.get_field('title').max_length} characters.")
    if title == incident.title:
        return incident
    previous, incident.title = incident.title, title
    incident.save(update_fields=["title", "updated_at"])
    _event(incident, actor, IncidentEvent.Kind.NOTE, f"Title: {previous} → {title}", previous=previous)
    record(actor, "incident.retitle", incident, previous=previous, title=title)
    return incident


# --- end of the monitors part --------------------------------------------------------------------


@transaction.atomic
def do_set_components(actor: Actor, incident: Incident, components: Mapping[Component, str]) -> Incident:
    """Make COMPONENTS (component -> status) exactly the incident's affected components."""
    incident = _locked(incident)
    for status in components.values():
        if status not in ComponentStatus.values:
            raise ActionError(f"{status!r} is not a component status.")
    before = {ic.component: ic.status for ic in incident.affected.select_related("component")}
    if before == dict(components):
        return incident
    IncidentComponent.objects.filter(incident=incident).exclude(component__in=list(components)).delete()
    for component, status in components.items():
        IncidentComponent.objects.update_or_create(incident=incident, component=component, defaults={"status": status})
    refresh_component_status(set(before) | set(components))
    summary = ", ".join(f"{c.name}: {ComponentStatus(s).label}" for c, s in components.items()) or "none"
    _event(incident, actor, IncidentEvent.Kind.COMPONENTS, f"Affected components: {summary}")
    record(actor, "incident.components", incident, components={c.name: s for c, s in components.items()})
    return incident


@transaction.atomic
def do_assign_role(actor: Actor, incident: Incident, role: str, user) -> Incident:
    if role not in ROLES:
        raise ActionError(f"{role!r} is not an incident role; use one of {', '.join(ROLES)}.")
    incident = _locked(incident)
    setattr(incident, role, user)
    incident.save(update_fields=[role, "updated_at"])
    who = user.get_username() if user else "nobody"
    _event(incident, actor, IncidentEvent.Kind.ROLE, f"{ROLES[role].capitalize()}: {who}", role=role)
    record(actor, "incident.role", incident, role=role, user=who)
    return incident


@transaction.atomic
def do_set_war_room(actor: Actor, incident: Incident, bridge_url: str, chat_url: str) -> Incident:
    incident = _locked(incident)
    incident.bridge_url, incident.chat_url = bridge_url, chat_url
    incident.save(update_fields=["bridge_url", "chat_url", "updated_at"])
    _event(incident, actor, IncidentEvent.Kind.NOTE, "War room links changed", bridge_url=bridge_url, chat_url=chat_url)
    record(actor, "incident.war_room", incident)
    return incident


# Posting a public update moves the incident along with it.
UPDATE_MOVES = {
    PublicStatus.IDENTIFIED: Status.IDENTIFIED,
    PublicStatus.MONITORING: Status.MONITORING,
    PublicStatus.INVESTIGATING: Status.INVESTIGATING,
}


def do_post_update(
    actor: Actor, incident: Incident, status: str, message: str, components: Mapping[Component, str] | None = None
) -> IncidentUpdate:
    """A public update: what customers and stakeholders read. Comms sends it on incident_update_posted.

    With COMPONENTS (component -> status), the affected components become exactly those first, in
    the same transaction (do_set_components): the update, its affected components and the audience
    they decide are one change, as the composer shows them.
    """
    message = clean_text(message)
    if status not in PublicStatus.values:
        raise ActionError(f"{status!r} is not a public status; use one of {', '.join(PublicStatus.values)}.")
    if not message.strip():
        raise ActionError("An update needs a message.")
    with transaction.atomic():
        if components is not None:
            do_set_components(actor, incident, components)
        incident = _locked(incident)
        if status == PublicStatus.RESOLVED:
            if incident.status != Status.RESOLVED:
                incident = do_resolve(actor, incident, "Resolved with a public update")
        else:
            target = UPDATE_MOVES[status]
            if incident.status == Status.RESOLVED:
                incident = do_change_status(actor, incident, target, "Reopened with a public update")
            elif PUBLIC_STATUS[incident.status] != status and incident.can_move_to(target):
                incident = do_change_status(actor, incident, target)
        affected = [
            {"code": str(ic.component_id), "name": ic.component.name, "new_status": ic.status}
            for ic in incident.affected.select_related("component")
            if ic.component.public
        ]
        update = IncidentUpdate.objects.create(
            incident=incident, status=status, message=message.strip(), author=actor.user, affected_components=affected
        )
        _event(
            incident, actor, IncidentEvent.Kind.UPDATE, message.strip(), public=True, status=status, update=update.pk
        )
        record(actor, "incident.update", incident, status=status)
        _announce(signals.incident_update_posted, incident, actor, update=update)
    return update


@transaction.atomic
def do_resolve(actor: Actor, incident: Incident, message: str = "") -> Incident:
    message = clean_text(message).strip()
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
    escalation.stop(incident)
    incident.save()
    refresh_component_status(incident.components.all())
    _event(incident, actor, IncidentEvent.Kind.RESOLVED, message or f"Resolved by {actor.label}")
    record(actor, "incident.resolve", incident)
    _announce(signals.incident_resolved, incident, actor)
    return incident


@transaction.atomic
def do_add_note(actor: Actor, incident: Incident, message: str) -> IncidentEvent:
    message = clean_text(message)
    if not message.strip():
        raise ActionError("A note needs some text.")
    event = _event(incident, actor, IncidentEvent.Kind.NOTE, message.strip())
    record(actor, "incident.note", incident)
    return event


@transaction.atomic
def do_merge(actor: Actor, duplicate: Incident, into: Incident) -> Incident:
    """Fold DUPLICATE into INTO: its alerts and components move over, and it is resolved as merged."""
    if duplicate.pk == into.pk:
        raise ActionError("An incident cannot be merged into itself.")
    duplicate, into = _locked(duplicate), _locked(into)
    if into.merged_into_id:
        raise ActionError(f"#{into.pk} was itself merged into #{into.merged_into_id}; merge into that one.")
    if into.status == Status.RESOLVED:
        raise ActionError(f"#{into.pk} is resolved; reopen it first.")
    duplicate.alerts.update(incident=into)
    for ic in duplicate.affected.all():
        IncidentComponent.objects.get_or_create(incident=into, component=ic.component, defaults={"status": ic.status})
    duplicate.merged_into = into
    duplicate.save(update_fields=["merged_into", "updated_at"])
    _event(into, actor, IncidentEvent.Kind.MERGED, f"Merged #{duplicate.pk} “{duplicate.title}” into this incident")
    record(actor, "incident.merge", duplicate, into=into.pk)
    if duplicate.status != Status.RESOLVED:
        do_resolve(actor, duplicate, f"Merged into #{into.pk}")
    return into
