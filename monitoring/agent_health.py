"""Probe agents watched (issue #21): an agent gone silent is an incident of its own.

An agent is heard whenever it polls its assignment or pushes results (Location.last_seen_at). One
not heard for VIGIL_AGENT_SILENT_AFTER_SECONDS opens a SEV4 incident keyed `agent:<location id>`
("Probe agent eu-west is silent"), paged by the SEV4 default policy like any other. Its monitors
are not marked down for its silence: monitoring.confirmation counts only the locations that report,
so the others (or the central install) keep watching them. When the agent is heard again, the
incident is resolved with a note saying how long it was silent. A revoked location is not
watched: its silence is what its revocation asked for. Beat runs watch() every 30 s; it is safe to
run twice at once (the incident's dedup key is unique while open).
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from incidents import services as incidents
from incidents.models import Incident, Severity, Source
from vigil.audit import Actor

from .models import Location

ACTOR = Actor(via="monitor")
PREFIX = "agent:"


def agent_key(location: Location) -> str:
    return f"{PREFIX}{location.pk}"


def silent_since(now) -> Q:
    """Agents not heard since the limit: never heard counts from the location's creation."""
    limit = now - timedelta(seconds=settings.VIGIL_AGENT_SILENT_AFTER_SECONDS)
    return Q(last_seen_at__lt=limit) | Q(last_seen_at__isnull=True, created_at__lt=limit)


def watch(now=None) -> dict:
    """Open the incident of each agent gone silent; resolve the incidents of agents heard again."""
    now = now or timezone.now()
    agents = Location.objects.filter(is_central=False, revoked_at__isnull=True)
    silent = {location.pk: location for location in agents.filter(silent_since(now))}
    open_by_agent = {
        int(incident.dedup_key.removeprefix(PREFIX)): incident
        for incident in Incident.objects.open().filter(dedup_key__startswith=PREFIX)
    }
    opened = [_went_silent(location, now) for pk, location in silent.items() if pk not in open_by_agent]
    back = [
        _heard_again(incident, now)
        for pk, incident in open_by_agent.items()
        if pk not in silent  # heard again, or revoked (no longer watched)
    ]
    return {"silent": len(silent), "opened": len(opened), "resolved": len(back)}


def _went_silent(location: Location, now) -> Incident:
    heard = (
        f"last heard {timezone.localtime(location.last_seen_at):%Y-%m-%d %H:%M:%S %Z}"
        if location.last_seen_at
        else "never heard"
    )
    incident, _ = incidents.do_declare(
        ACTOR,
        title=f"Probe agent {location.name} is silent",
        summary=(
            f"The probe agent of location {location.name}"
            f"{f' ({location.region})' if location.region else ''} has not reported for over "
            f"{settings.VIGIL_AGENT_SILENT_AFTER_SECONDS} s ({heard}). Its checks are missing: the monitors "
            "it checks are judged by their other locations meanwhile, and none is marked down for its silence. "
            "Check the agent's host, its network path to Vigil, and its log."
        ),
        severity=Severity.SEV4,
        source=Source.MONITOR,
        dedup_key=agent_key(location),
    )
    return incident


def _heard_again(incident: Incident, now) -> Incident:
    pk = int(incident.dedup_key.removeprefix(PREFIX))
    location = Location.objects.filter(pk=pk).first()
    if location is not None and location.revoked_at is not None:
        message = f"Location {location.name} was revoked; its agent is no longer watched. Resolved automatically."
    else:
        name = location.name if location else f"#{pk}"
        message = f"Probe agent {name} reports again; resolved automatically."
    return incidents.do_resolve(ACTOR, incident, message)
