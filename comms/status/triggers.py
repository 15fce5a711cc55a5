"""When the status page is rebuilt: right after the commit of any change to what it shows, in that process.

Listens to incidents' signals (sent after commit) and to saves and deletes of the models the page
reads. However many of those one transaction makes, it rebuilds once, after the commit, in the
process that made the change (a web request, a worker, beat): an update posted at 3 a.m. is on
the public page a fraction of a second later (issue #15: it took 12 s, queued behind the workers'
other tasks and the minute's rebuild). A build reads the database once and renders every document
(tens of milliseconds); requests still read the snapshot only, never the database.

Two processes changing the page at once do not build side by side: each change bumps a counter in
the cache (CHANGES_KEY), and one process at a time holds BUILDING_KEY and builds until no change
came in during its last build, so a burst of changes costs one or two builds, and a change made
while another process builds is in that process's next build. A caller builds at most
MAX_BUILDS times before handing on to a worker (comms.status.tasks.rebuild_status_page). Beat runs
that task every minute too, for the uptime bars and for anything a raw UPDATE changed without a
signal. Without a cache, or if the build fails, the change is built here alone, or by the worker.
"""

import logging
import secrets

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from vigil.queue import enqueue

from . import snapshot

logger = logging.getLogger(__name__)

# Moves with every committed change the page shows; a builder builds again until it stands still.
CHANGES_KEY = "vigil:status:changes"
# Held (with a token) by the one process building; expires on its own if that process dies mid-build
# (a build takes a fraction of a second: after BUILDING_TTL seconds the next change builds again).
BUILDING_KEY = "vigil:status:building"
BUILDING_TTL = 10
MAX_BUILDS = 3
# What incidents announces that the page shows (acknowledging changes nothing public).
INCIDENT_SIGNALS = [
    "incident_declared",
    "incident_status_changed",
    "incident_severity_changed",
    "incident_update_posted",
    "incident_resolved",
    "incident_reopened",
]


def request_rebuild() -> None:
    """Rebuild the snapshot after the current transaction commits (at once outside one), once per transaction."""
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(entry[1] is rebuild_now for entry in connection.run_on_commit):
        return
    transaction.on_commit(rebuild_now)


def rebuild_now() -> None:
    """Build the page in this process, unless another process is building: then it builds this change too.

    Runs after a commit, inside the request or task that made the change: it never raises (the change
    is committed; a failure here hands the rebuild to a worker and beat's minute)."""
    try:
        _note_change()
    except Exception:
        logger.warning("Cache unavailable: rebuilding the status page without coordination")
        _build_or_hand_on()
        return
    try:
        _build_while_changing()
    except Exception:
        logger.exception("Status page rebuild after a change failed here; handing it to a worker")
        _hand_on()


def _build_while_changing() -> None:
    builds = 0
    while builds < MAX_BUILDS:
        token = secrets.token_hex(8)
        if not cache.add(BUILDING_KEY, token, timeout=BUILDING_TTL):
            return  # another process builds; the change counter tells it to build once more
        try:
            while builds < MAX_BUILDS:
                seen = cache.get(CHANGES_KEY)
                builds += 1
                if not _build_or_hand_on() or cache.get(CHANGES_KEY) == seen:
                    break
        finally:
            if cache.get(BUILDING_KEY) == token:
                cache.delete(BUILDING_KEY)
        # A change that came between the last look and the release found the key held: take it again.
        if cache.get(CHANGES_KEY) == seen:
            return
    _hand_on()  # still changing after MAX_BUILDS builds: a worker takes the rest


def _note_change() -> None:
    cache.add(CHANGES_KEY, 0, timeout=None)
    cache.incr(CHANGES_KEY)


def _build_or_hand_on() -> bool:
    try:
        snapshot.rebuild()
    except Exception:
        logger.exception("Status page rebuild failed here; handing it to a worker")
        _hand_on()
        return False
    return True


def _hand_on() -> None:
    """Leave the rest to a worker (and beat's minute, which runs it if the broker is down now)."""
    enqueue("comms.status.tasks.rebuild_status_page", on_commit=False, robust=True)


def _changed(sender, **kwargs) -> None:
    request_rebuild()


def _incident_saved(sender, instance, created, **kwargs) -> None:
    # An incident shows only once it has a public update; saves of others (escalation steps,
    # roles, notes) change nothing on the page.
    if not created and instance.updates.exists():
        request_rebuild()


def _maintenance_components_changed(sender, action, **kwargs) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        request_rebuild()


def connect() -> None:
    """Called from CommsConfig.ready()."""
    from comms.models import MaintenanceUpdate, ScheduledMaintenance, StatusPageBranding
    from incidents import signals
    from incidents.models import Component, ComponentGroup, Incident, IncidentComponent, IncidentUpdate

    for name in INCIDENT_SIGNALS:
        getattr(signals, name).connect(_changed, dispatch_uid=f"comms.status.{name}")
    # Another app's public section of an incident page changed (a post-mortem published: comms.status.incident_extras).
    signals.public_record_changed.connect(_changed, dispatch_uid="comms.status.public_record_changed")
    for model in (
        Component,
        ComponentGroup,
        IncidentComponent,
        IncidentUpdate,
        ScheduledMaintenance,
        MaintenanceUpdate,
        StatusPageBranding,
    ):
        post_save.connect(_changed, sender=model, dispatch_uid=f"comms.status.save.{model.__name__}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"comms.status.delete.{model.__name__}")
    post_save.connect(_incident_saved, sender=Incident, dispatch_uid="comms.status.save.Incident")
    post_delete.connect(_changed, sender=Incident, dispatch_uid="comms.status.delete.Incident")
    m2m_changed.connect(
        _maintenance_components_changed,
        sender=ScheduledMaintenance.components.through,
        dispatch_uid="comms.status.maintenance_components",
    )
