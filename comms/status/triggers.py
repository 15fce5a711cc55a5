"""When the status page is rebuilt: after the commit of any change to what it shows.

Listens to incidents' signals (sent after commit) and to saves and deletes of the models the page
reads. However many of those one transaction makes, it queues one rebuild, on commit; and while a
rebuild is queued and not yet started, more changes queue nothing more (a short-lived cache key),
so a burst of changes costs one or two rebuilds. The rebuild itself runs in a worker
(comms.status.tasks.rebuild_status_page); beat also runs it every minute, for the uptime bars and
for anything a raw UPDATE changed without a signal.
"""

import logging

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

logger = logging.getLogger(__name__)

# Set while a rebuild waits in the queue; the task clears it when it starts. Expires on its own
# in case the task is lost, so a later change queues again.
QUEUED_KEY = "vigil:status:rebuild-queued"
QUEUED_TTL = 30
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
    if connection.in_atomic_block and any(entry[1] is queue_rebuild for entry in connection.run_on_commit):
        return
    transaction.on_commit(queue_rebuild)


def queue_rebuild() -> None:
    from . import snapshot
    from .tasks import rebuild_status_page

    try:
        if not cache.add(QUEUED_KEY, 1, timeout=QUEUED_TTL):
            return  # one is waiting already: it will read this change too
    except Exception:
        logger.warning("Cache unavailable: queueing a status page rebuild without the de-duplication")
    try:
        rebuild_status_page.delay()
    except Exception:
        # No broker: rebuild here rather than leave the page behind until beat's next run.
        logger.exception("Could not queue the status page rebuild; rebuilding in this process")
        try:
            snapshot.rebuild()
        except Exception:
            logger.exception("Status page rebuild failed; beat will try again")


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
