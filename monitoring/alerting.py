"""What a monitor's confirmed state changes do to incidents, through incidents.services only.

- Down opens an incident keyed to the monitor (one open per monitor, by the database's unique
  dedup key), or joins one:
  * a parent it depends on is down: the child's failure becomes a timeline entry on the parent's
    incident and pages nobody; children that went down first have their own incidents merged in;
  * it belongs to a redundancy group of replicas (two regions, two load balancers) with another
    watched member: losing some is "redundancy lost", a SEV4 incident keyed to the group; losing
    all raises it to the monitor's severity and a major outage of the members' components.
  Redundancy is only what a person declared (RedundancyGroup): monitors that merely share a
  component are independent, each with its own incident.
- A group incident's title says how many replicas are down ("API: redundancy lost (1 of 2
  replicas down)") and is computed again from the group's members whenever one goes down or
  recovers, or the group's membership or pauses change (refresh_group_incident), so it is never
  stale.
- Recovery adds a timeline entry, and resolves the incident when this monitor opened it and
  nothing else holds it open (another monitor still down in it, or a firing alert).
"""

import logging

from django.db import transaction

from incidents import services as incident_services
from incidents.models import Alert, Component, ComponentStatus, Incident, Severity, Source
from vigil.audit import Actor

from .models import Monitor, RedundancyGroup
from .state import Transition

logger = logging.getLogger(__name__)

ACTOR = Actor(via="monitor")
State = Monitor.State


def monitor_key(monitor: Monitor) -> str:
    return f"monitor:{monitor.pk}"


def group_key(group_id: int) -> str:
    """The dedup key of a redundancy group's incident (postmortems read it to find the replicas)."""
    return f"redundancy:{group_id}"


def _group_id_of(incident: Incident) -> int | None:
    prefix = group_key(0).removesuffix("0")
    if not incident.dedup_key.startswith(prefix):
        return None
    try:
        return int(incident.dedup_key.removeprefix(prefix))
    except ValueError:
        return None


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
    elif monitor.redundancy_group_id and _replicas(monitor.redundancy_group_id).count() > 1:
        incident = _group_down(monitor, reason)
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


def _replicas(group_id: int):
    """The watched members of a redundancy group (paused ones are not watched)."""
    return Monitor.objects.filter(redundancy_group_id=group_id).exclude(state=State.PAUSED)


def _counts(group_id: int) -> tuple[int, int]:
    """(replicas down, replicas watched) of the group, now."""
    states = list(_replicas(group_id).values_list("state", flat=True))
    return sum(state == State.DOWN for state in states), len(states)


def group_title(group: RedundancyGroup, down: int, total: int) -> str:
    """The title of GROUP's incident with DOWN of TOTAL watched replicas down."""
    if total and down >= total:
        return f"{group.name}: all {total} replicas down"
    if down == 0:
        return f"{group.name}: all {total} replicas up again"
    return f"{group.name}: redundancy lost ({down} of {total} replicas down)"


def _group_status(down: int, total: int) -> str:
    return ComponentStatus.MAJOR_OUTAGE if total and down >= total else ComponentStatus.DEGRADED


def _group_components(group_id: int) -> list:
    """The components the group's replicas back."""
    return list(Component.objects.filter(monitors__redundancy_group_id=group_id).distinct())


def _group_down(monitor: Monitor, reason: str) -> Incident:
    group = monitor.redundancy_group
    down, total = _counts(group.pk)
    all_down = down >= total
    status = _group_status(down, total)
    incident, created = incident_services.do_declare(
        ACTOR,
        title=group_title(group, down, total),
        summary=f"{monitor.name} is down: {reason}",
        severity=monitor.severity if all_down else Severity.SEV4,
        components={component: status for component in _group_components(group.pk)},
        source=Source.MONITOR,
        dedup_key=group_key(group.pk),
        escalation_policy=monitor.escalation_policy,
    )
    if not created:
        incident_services.do_add_note(
            ACTOR, incident, f"{monitor.name} is down: {reason}. {down} of {total} replicas down."
        )
        _set_components_status(incident, _group_components(group.pk), status)
        if all_down and _more_severe(monitor.severity, incident.severity):
            incident_services.do_change_severity(ACTOR, incident, monitor.severity)
        _retitle(incident, group_title(group, down, total))
    return incident


def refresh_group_incident(group_id: int | None) -> None:
    """Give the group's open incident the title its members' states make now (nothing without one).

    Called after a member goes down or recovers, and after the group's membership or a member's
    pause changes (monitoring.redundancy.refresh_groups_after_commit), so the title never tells an old count.
    """
    if group_id is None:
        return
    incident = Incident.objects.open().filter(dedup_key=group_key(group_id)).first()
    group = RedundancyGroup.objects.filter(pk=group_id).first()
    if incident is None or group is None:
        return
    _retitle(incident, group_title(group, *_counts(group_id)))


def _retitle(incident: Incident, title: str) -> None:
    if incident.title != title:
        incident_services.do_retitle(ACTOR, incident, title)


def _more_severe(a: str, b: str) -> bool:
    return Severity.values.index(a) < Severity.values.index(b)


def _set_components_status(incident: Incident, components, status: str) -> None:
    affected = {ic.component: ic.status for ic in incident.affected.select_related("component")}
    affected.update({component: status for component in components})
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
    elif (group_id := _group_id_of(incident)) is not None:
        down, total = _counts(group_id)
        if not _held_open(incident):
            incident_services.do_resolve(ACTOR, incident, f"All {total} replicas are up; resolved automatically.")
        else:
            _set_components_status(incident, _group_components(group_id), _group_status(down, total))
            refresh_group_incident(group_id)


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
