"""Locations and their agents (issue #21): the actions on them, and what each agent is assigned.

A monitor runs from the locations chosen for it, or from every active location when none is
chosen: the central install (its probe workers) when it is among them, and each agent whose
location is. Where several locations check a monitor, their verdict moves its state
(monitoring.confirmation: K of N within a window); with one location, its outcomes do.

The dispatcher (monitoring.dispatch.claim_due) leaves out the monitors that do not run centrally.
"""

import hashlib
import json
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from vigil.audit import Actor, record
from vigil_probes import ProbeConfigError
from vigil_probes.wire import probe_to_dict

from .models import Location, Monitor


def central_location() -> Location:
    location, _ = Location.objects.get_or_create(is_central=True, defaults={"name": "central"})
    return location


@transaction.atomic
def do_create_location(actor: Actor, name: str, region: str = "") -> tuple[Location, str]:
    """A new agent location and its token, which is returned here and never again."""
    location = Location(name=name, region=region)
    token = location.new_token()
    location.full_clean()
    location.save()
    record(actor, "location.create", location, region=region, token_prefix=location.token_prefix)
    return location, token


@transaction.atomic
def do_revoke_location(actor: Actor, location: Location) -> Location:
    """The agent's token stops working at once; the location keeps its past results."""
    if location.revoked_at is None:
        location.revoked_at = timezone.now()
        location.save(update_fields=["revoked_at"])
        record(actor, "location.revoke", location)
    return location


@transaction.atomic
def do_set_locations(actor: Actor, monitor: Monitor, locations: list[Location]) -> Monitor:
    """Where MONITOR runs from; an empty list means every location."""
    monitor.locations.set(locations)
    Monitor.objects.filter(pk=monitor.pk).update(updated_at=timezone.now())  # its agents' assignments change
    record(actor, "monitor.set_locations", monitor, locations=sorted(location.name for location in locations))
    return monitor


def runs_centrally() -> Q:
    """Monitors the central install probes: no locations chosen, or central among them."""
    return Q(locations=None) | Q(locations__is_central=True)


def agent_only_ids() -> QuerySet:
    """Ids of the probe monitors whose chosen locations leave out the central install (a subquery)."""
    chosen = Monitor.objects.filter(locations__isnull=False).exclude(kind=Monitor.Kind.HEARTBEAT)
    return chosen.exclude(locations__is_central=True).values("pk")


def deciding_results() -> Q:
    """The CheckResult rows a monitor's own figures are read from (response times, rollups, when
    an outage was first seen: monitoring.receivers.first_failing_check): the central install's,
    and all of an agent-only monitor's. A monitor checked centrally and by agents keeps its
    figures as before agents existed; each location's own are in monitoring.confirmation.per_location."""
    return Q(location__isnull=True) | Q(monitor__in=agent_only_ids())


def assigned_monitors(location: Location) -> QuerySet:
    """The probe monitors LOCATION's agent runs: those with no locations chosen, or with it among them."""
    probes = Monitor.objects.exclude(kind=Monitor.Kind.HEARTBEAT).exclude(state=Monitor.State.PAUSED)
    return probes.filter(Q(locations=None) | Q(locations=location)).distinct().order_by("pk")


def assignment(location: Location) -> tuple[list[dict[str, Any]], str]:
    """(what LOCATION's agent runs, in the engine's config shape (vigil_probes.wire), its ETag).

    The ETag is a hash of the very bytes the list serialises to, so it changes exactly when the
    assignment does. A monitor whose settings the engine refuses is left out: the dashboard shows
    that error already, and the agent must not stop on it.

    Agents poll every 30 s and the list rarely changes, so it is kept in the cache under a version
    of the monitors read in one query: their count and latest updated_at, which every action that
    changes what an agent runs moves (settings, pause and resume, locations, deletion). An
    unchanged assignment then costs that query, not a probe config per monitor.
    """
    version = Monitor.objects.aggregate(count=Count("id"), latest=Max("updated_at"))
    key = f"agent-assignment:{location.pk}:{version['count']}:{version['latest'] and version['latest'].timestamp()}"
    cached = cache.get(key)
    if cached is None:
        cached = _assignment(location)
        cache.set(key, cached, timeout=3600)
    return cached


def _assignment(location: Location) -> tuple[list[dict[str, Any]], str]:
    items = []
    for monitor in assigned_monitors(location):
        try:
            probe = probe_to_dict(monitor.probe())
        except ProbeConfigError:
            continue
        _say_where(probe, location)
        items.append(
            {
                "id": monitor.pk,
                "name": monitor.name,
                "interval_seconds": monitor.interval_seconds,
                "probe": probe,
            }
        )
    body = json.dumps(items, sort_keys=True, separators=(",", ":"))
    return items, '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'


LOCATION_HEADER = "X-Vigil-Location"


def _say_where(probe: dict[str, Any], location: Location) -> None:
    """An agent's HTTP checks name their location in a header, unless the monitor sets it: the
    target's logs then tell which location saw what (and a test target can fail for one only)."""
    if probe["kind"] == "http" and not any(name.lower() == LOCATION_HEADER.lower() for name, _ in probe["headers"]):
        probe["headers"].append([LOCATION_HEADER, location.name])
