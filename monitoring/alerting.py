"""What a monitor's confirmed state changes do to incidents, through incidents.services only.

- Down opens an incident keyed to the monitor (one open per monitor, by the database's unique
  dedup key), or joins one:
  * a parent it depends on is down: the child's failure becomes a timeline entry on the parent's
    incident and pages nobody; children that went down first have their own incidents merged in;
  * its component is backed by several monitors (replicas, regions): losing some is
    "degraded: redundancy lost", a SEV4 incident on the component; losing all raises it to the
    monitor's severity and a major outage. The component's incident is keyed to the component.
- Recovery adds a timeline entry, and resolves the incident when this monitor opened it and
  nothing else holds it open (another monitor still down in it, or a firing alert).
"""

import logging

from django.db import transaction

from incidents import services as incident_services
from incidents.models import Alert, ComponentStatus, Incident, Severity, Source
from vigil.audit import Actor

from .models import Monitor
from .state import Transition

logger = logging.getLogger(__name__)

ACTOR = Actor(via="monitor")
State = Monitor.State


def monitor_key(monitor: Monitor) -> str:
    return f"monitor:{monitor.pk}"


def component_key(component) -> str:
    return f"component:{component.pk}:monitors"


def handle_transitions(transitions: list[Transition]) -> None:
    """Act on TRANSITIONS (after their rows are committed). Parents before their children."""
    relevant = [t for t in transitions if t.to_state == State.DOWN or t.from_state == State.DOWN]
    if not relevant:
        return
    monitors = Monitor.objects.select_related("component", "escalation_policy").in_bulk(
        [t.monitor_id for t in relevant]
    )
    parent_ids = set(
        Monitor.parents.through.objects.filter(from_monitor_id__in=monitors).values_list("from_monitor_id", flat=True)
    )
    # A monitor with parents acts after those without, so a parent that fell in the same batch
    # has its incident open before its children look for it.
    for transition in sorted(relevant, key=lambda t: t.monitor_id in parent_ids):
        monitor = monitors.get(transition.monitor_id)
        if monitor is None:
            continue  # deleted meanwhile
        try:
            if transition.to_state == State.DOWN:
                went_down(monitor, transition.reason)
            elif transition.to_state in (State.UP, State.DEGRADED):
                recovered(monitor, transition)
        except incident_services.ActionError as exc:
            logger.warning("monitor %s: incident action refused: %s", monitor.pk, exc)


def _open_incident_of(monitor: Monitor) -> Incident | None:
    if monitor.incident_id is None:
        return None
    return Incident.objects.open().filter(pk=monitor.incident_id).first()


def _down_parent(monitor: Monitor) -> Monitor | None:
    for parent in monitor.parents.filter(state=State.DOWN).exclude(incident=None).order_by("pk"):
        if _open_incident_of(parent):
            return parent
    return None


def _set_incident(monitor: Monitor, incident: Incident | None) -> None:
    monitor.incident = incident
    Monitor.objects.filter(pk=monitor.pk).update(incident=incident)


def went_down(monitor: Monitor, reason: str) -> Incident:
    parent = _down_parent(monitor)
    if parent is not None:
        incident = _open_incident_of(parent)
        incident_services.do_add_note(
            ACTOR, incident, f"{monitor.name} is down too ({reason}); it depends on {parent.name}, which is down."
        )
    elif monitor.component_id and _watched_siblings(monitor).count() > 1:
        incident = _component_down(monitor, reason)
    else:
        incident, created = incident_services.do_declare(
            ACTOR,
            title=f"{monitor.name} is down",
            summary=f"{monitor.name} ({monitor.target or 'heartbeat'}) is down: {reason}",
            severity=monitor.severity,
            components={monitor.component: ComponentStatus.MAJOR_OUTAGE} if monitor.component else {},
            source=Source.MONITOR,
            dedup_key=monitor_key(monitor),
            escalation_policy=monitor.escalation_policy,
        )
        if not created:
            incident_services.do_add_note(ACTOR, incident, f"{monitor.name} is down: {reason}")
    _set_incident(monitor, incident)
    _merge_children(monitor, incident)
    return incident


def _watched_siblings(monitor: Monitor):
    """The monitors backing MONITOR's component (itself included), paused ones left out."""
    return Monitor.objects.filter(component_id=monitor.component_id).exclude(state=State.PAUSED)


def _redundancy(monitor: Monitor) -> tuple[int, int]:
    """(monitors up, monitors watched) for MONITOR's component."""
    states = list(_watched_siblings(monitor).values_list("state", flat=True))
    return sum(state != State.DOWN for state in states), len(states)


def _component_down(monitor: Monitor, reason: str) -> Incident:
    component = monitor.component
    up, total = _redundancy(monitor)
    all_down = up == 0
    status = ComponentStatus.MAJOR_OUTAGE if all_down else ComponentStatus.DEGRADED
    headline = (
        f"{component.name} is down: all {total} monitors failing"
        if all_down
        else f"{component.name}: redundancy lost ({up} of {total} monitors up)"
    )
    incident, created = incident_services.do_declare(
        ACTOR,
        title=headline,
        summary=f"{monitor.name} is down: {reason}",
        severity=monitor.severity if all_down else Severity.SEV4,
        components={component: status},
        source=Source.MONITOR,
        dedup_key=component_key(component),
        escalation_policy=monitor.escalation_policy,
    )
    if not created:
        incident_services.do_add_note(ACTOR, incident, f"{monitor.name} is down: {reason}. {up} of {total} up.")
        _set_component_status(incident, component, status)
        if all_down and _more_severe(monitor.severity, incident.severity):
            incident_services.do_change_severity(ACTOR, incident, monitor.severity)
    return incident


def _more_severe(a: str, b: str) -> bool:
    return Severity.values.index(a) < Severity.values.index(b)


def _set_component_status(incident: Incident, component, status: str) -> None:
    affected = {ic.component: ic.status for ic in incident.affected.select_related("component")}
    affected[component] = status
    incident_services.do_set_components(ACTOR, incident, affected)


def _merge_children(monitor: Monitor, incident: Incident) -> None:
    """Children that went down before their parent opened their own incidents: fold them in."""
    for child in monitor.children.filter(state=State.DOWN).exclude(incident=None).exclude(incident=incident):
        own = _open_incident_of(child)
        if own is not None and own.dedup_key == monitor_key(child):
            incident_services.do_merge(ACTOR, own, into=incident)
            incident_services.do_add_note(ACTOR, incident, f"{child.name} depends on {monitor.name}; merged.")
        _set_incident(child, incident)


def recovered(monitor: Monitor, transition: Transition) -> None:
    incident = _open_incident_of(monitor)
    _set_incident(monitor, None)
    if incident is None:
        return
    down_for = _format_duration(transition.at - _down_since(monitor, transition.at))
    incident_services.do_add_note(ACTOR, incident, f"{monitor.name} recovered after {down_for} down.")
    if incident.dedup_key == monitor_key(monitor):
        if not _held_open(incident):
            incident_services.do_resolve(ACTOR, incident, f"{monitor.name} recovered; resolved automatically.")
    elif monitor.component_id and incident.dedup_key == component_key(monitor.component):
        _up, total = _redundancy(monitor)
        if not _held_open(incident):
            incident_services.do_resolve(
                ACTOR, incident, f"All {total} monitors of {monitor.component.name} are up; resolved automatically."
            )
        else:
            _set_component_status(incident, monitor.component, ComponentStatus.DEGRADED)


def _held_open(incident: Incident) -> bool:
    """Another monitor still down in INCIDENT, or a firing alert, keeps it open."""
    if Monitor.objects.filter(incident=incident, state=State.DOWN).exists():
        return True
    return Alert.objects.filter(incident=incident, status=Alert.Status.FIRING).exists()


def _down_since(monitor: Monitor, until):
    change = (
        monitor.state_changes.filter(to_state=State.DOWN, at__lte=until).order_by("-at").values_list("at", flat=True)
    )
    return change.first() or until


def _format_duration(delta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def handle_after_commit(transitions: list[Transition]) -> None:
    if transitions:
        transaction.on_commit(lambda: handle_transitions(transitions))
