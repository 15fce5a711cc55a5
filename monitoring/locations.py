"""Locations and their agents (issue #21): the actions on them, and what each agent is assigned.

Which location drives a monitor's state: until confirmation across locations lands (K of N, a
later step of #21), one location's outcomes move a monitor's state machine, so the confirmed-state
rules stay exactly those of monitoring.state:

- the central install, when the monitor runs there (no locations chosen, or central among them);
- else the one agent, when exactly one agent location is chosen (check_locations refuses several
  agents without central, which would leave the state to no one).

Every other agent result is stored (CheckResult.location) but moves no state. The dispatcher
(monitoring.dispatch.claim_due) leaves out the monitors that do not run centrally.
"""

import hashlib
import json
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
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


def check_locations(locations: list[Location]) -> None:
    """ValidationError unless one location will drive the state (module docstring): central among
    LOCATIONS, or a single agent. Several agents alone would need confirmation across locations."""
    agents = [location for location in locations if not location.is_central]
    if len(agents) > 1 and len(agents) == len(locations):
        raise ValidationError(
            "Choose one agent location, or add central: a monitor checked by several agents only "
            "needs confirmation across locations, which comes in a later version."
        )


@transaction.atomic
def do_set_locations(actor: Actor, monitor: Monitor, locations: list[Location]) -> Monitor:
    """Where MONITOR runs from; an empty list means every location (check_locations says what may be)."""
    check_locations(locations)
    monitor.locations.set(locations)
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
    """CheckResult rows from the location that drives their monitor's state (module docstring):
    central ones, and all of an agent-only monitor's. For readers that reason about the confirmed
    run, such as when an outage was first seen (monitoring.receivers.first_failing_check)."""
    return Q(location__isnull=True) | Q(monitor__in=agent_only_ids())


def assigned_monitors(location: Location) -> QuerySet:
    """The probe monitors LOCATION's agent runs: those with no locations chosen, or with it among them."""
    probes = Monitor.objects.exclude(kind=Monitor.Kind.HEARTBEAT).exclude(state=Monitor.State.PAUSED)
    return probes.filter(Q(locations=None) | Q(locations=location)).distinct().order_by("pk")


def state_driven_by(location: Location, monitor_ids: list[int]) -> set[int]:
    """Those of MONITOR_IDS whose one chosen location is LOCATION: its results move their state."""
    rows = (
        Monitor.locations.through.objects.filter(monitor_id__in=monitor_ids)
        .values("monitor_id")
        .annotate(chosen=Count("id"), mine=Count("id", filter=Q(location_id=location.pk)))
    )
    return {row["monitor_id"] for row in rows if row["chosen"] == 1 and row["mine"] == 1}


def assignment(location: Location) -> tuple[list[dict[str, Any]], str]:
    """(what LOCATION's agent runs, in the engine's config shape (vigil_probes.wire), its ETag).

    The ETag is a hash of the very bytes the list serialises to, so it changes exactly when the
    assignment does. A monitor whose settings the engine refuses is left out: the dashboard shows
    that error already, and the agent must not stop on it.
    """
    items = []
    for monitor in assigned_monitors(location):
        try:
            probe = probe_to_dict(monitor.probe())
        except ProbeConfigError:
            continue
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
