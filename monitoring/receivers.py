"""What monitoring answers the apps beside it, through incidents (issue #16: they never import monitoring).

Providers (incidents.providers): the component uptime and when monitoring of each component began
(the status page's bars, the reports), the monitors counted on the component list, the noisiest
monitors (the reports). A receiver of incidents.signals.incident_detection: what opened an
incident a monitor opened, and its first failing check (a post-mortem's time to detect).
Registered and connected in MonitoringConfig.ready().
"""

import re
from datetime import datetime

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery

from incidents.models import Incident, Source
from incidents.signals import Detection

from .locations import deciding_results
from .models import CheckResult, Monitor, StateChange

# The dedup keys monitoring.alerting gives the incidents it opens (monitor_key, group_key).
MONITOR_KEY = re.compile(r"monitor:(\d+)")
COMPONENT_KEY = re.compile(r"component:(\d+):monitors")  # before redundancy groups (incidents of old)
GROUP_KEY = re.compile(r"redundancy:(\d+)")
UP = [Monitor.State.UP, Monitor.State.DEGRADED]


def monitored_since(component_ids: list[int]) -> dict[int, datetime]:
    """{component: when its first monitor was made}, for the components that have monitors."""
    began: dict[int, datetime] = {}
    rows = Monitor.objects.filter(component_id__in=component_ids).values_list("component_id", "created_at")
    for component_id, created_at in rows:
        began[component_id] = min(began.get(component_id, created_at), created_at)
    return began


def annotate_component_monitors(components: QuerySet) -> QuerySet:
    """COMPONENTS with monitors_total (their monitors, paused ones left out) and monitors_up (of those,
    up or degraded): the component list's redundancy figure, in the list's one query."""
    watched = ~Q(monitors__state=Monitor.State.PAUSED)
    return components.annotate(
        monitors_total=Count("monitors", filter=watched),
        monitors_up=Count("monitors", filter=watched & Q(monitors__state__in=UP)),
    )


def noisiest_monitors(start: datetime, end: datetime, limit: int) -> list[dict]:
    """The monitors that went down most often in [start, end), most first: name, times down, and the
    dedup key of the incident their outage opens (monitoring.alerting.monitor_key)."""
    rows = (
        StateChange.objects.filter(at__gte=start, at__lt=end, to_state=Monitor.State.DOWN)
        .order_by()
        .values("monitor_id", "monitor__name")
        .annotate(downs=Count("id"))
        .order_by("-downs", "monitor__name")[:limit]
    )
    return [
        {"monitor": row["monitor__name"], "downs": row["downs"], "dedup_key": f"monitor:{row['monitor_id']}"}
        for row in rows
    ]


# --- What opened an incident ----------------------------------------------------------------------


def _opening_monitors(incident: Incident) -> QuerySet:
    """The monitors that may have opened INCIDENT: the one its dedup key names, or its redundancy group's."""
    if match := MONITOR_KEY.fullmatch(incident.dedup_key):
        return Monitor.objects.filter(pk=int(match[1]))
    if match := GROUP_KEY.fullmatch(incident.dedup_key):
        return Monitor.objects.filter(redundancy_group_id=int(match[1]))
    if match := COMPONENT_KEY.fullmatch(incident.dedup_key):
        return Monitor.objects.filter(component_id=int(match[1]))
    return Monitor.objects.filter(incident=incident)  # still open and still held by the monitor


def first_failing_check(incident: Incident) -> tuple[datetime, str] | None:
    """(when, monitor name) of the first failing check of the run that confirmed the monitor down.

    That is the earliest down result at or before the incident's start with no passing result
    between it and the start: older failures belong to an earlier outage. One query.
    """
    down = CheckResult.Outcome.DOWN
    deciding = CheckResult.objects.filter(deciding_results())  # another location's passes prove nothing here
    last_pass = (
        deciding.filter(monitor=OuterRef("monitor"), checked_at__lte=incident.started_at)
        .exclude(outcome=down)
        .order_by("-checked_at")
        .values("checked_at")[:1]
    )
    return (
        deciding.filter(
            monitor__in=_opening_monitors(incident).values("pk"), outcome=down, checked_at__lte=incident.started_at
        )
        .alias(last_pass=Subquery(last_pass))
        .filter(Q(last_pass__isnull=True) | Q(checked_at__gt=F("last_pass")))
        .order_by("checked_at", "pk")
        .values_list("checked_at", "monitor__name")
        .first()
    )


def incident_detection(sender, incident: Incident, **kwargs) -> Detection | None:
    """incidents.signals.incident_detection: an incident a monitor opened, and its first failing check."""
    if incident.source != Source.MONITOR:
        return None
    failing = first_failing_check(incident)
    if failing is None:
        return Detection("A monitor (its failing checks are no longer on record)")
    return Detection(f"Monitor “{failing[1]}”", failing[0])
