"""Bringing another status page's maintenances and subscribers over as they were (importers, issue #17).

The everyday actions announce: do_schedule_maintenance tells subscribers a maintenance is planned,
do_subscribe sends a confirmation link or code. What an importer brings was announced and confirmed
on the other page already, so these write the rows in the state they had there and send nothing:
no MaintenanceNotice, no outbox row. What happens next goes as usual: beat starts and completes an
imported maintenance on time and tells subscribers then, and reminds them an hour before one
announced earlier than that (comms.status.subscribers.notices.remind_due reads created_at).
"""

from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db import transaction

from comms.models import MaintenanceStatus, MaintenanceUpdate, ScheduledMaintenance, Subscriber
from comms.models.status import ACTIVE_MAINTENANCE
from comms.models.subscribers import new_secret
from incidents.models import Component
from incidents.services import do_set_maintenance
from vigil.audit import Actor, record

from .services import MaintenanceError

# (status, message, created_at) of a public line of a maintenance's story.
PastLine = tuple[str, str, datetime]


@transaction.atomic
def do_import_maintenance(
    actor: Actor,
    *,
    title: str,
    message: str,
    components: Iterable[Component],
    starts_at: datetime,
    ends_at: datetime,
    status: str,
    created_at: datetime,
    started_at: datetime | None = None,
    completed_at: datetime | None = None,
    updates: Sequence[PastLine] = (),
) -> ScheduledMaintenance:
    """A maintenance in STATUS with its public updates at their times; subscribers are not told.

    One in progress or verifying puts its components under maintenance now, as it would have here.
    """
    if ends_at <= starts_at:
        raise MaintenanceError("The window must end after it starts.")
    if not title.strip() or not message.strip():
        raise MaintenanceError("A maintenance needs a title and a message.")
    if status not in MaintenanceStatus.values:
        raise MaintenanceError(f"{status!r} is not a maintenance status.")
    maintenance = ScheduledMaintenance.objects.create(
        title=title.strip()[:200],
        message=message.strip(),
        starts_at=starts_at,
        ends_at=ends_at,
        status=status,
        started_at=started_at if status != MaintenanceStatus.SCHEDULED else None,
        completed_at=completed_at if status == MaintenanceStatus.COMPLETED else None,
        created_at=created_at,
    )
    components = list(components)
    maintenance.components.set(components)
    for line_status, line, at in sorted(updates, key=lambda u: u[2]) or [(status, message, created_at)]:
        MaintenanceUpdate.objects.create(
            maintenance=maintenance, status=line_status, message=line.strip() or message.strip(), created_at=at
        )
    if status in ACTIVE_MAINTENANCE:
        do_set_maintenance(actor, components, on=True)
    record(actor, "status_maintenance.import", maintenance, status=status)
    return maintenance


@transaction.atomic
def do_import_subscriber(
    actor: Actor,
    *,
    kind: str,
    address: str,
    components: Iterable[Component] = (),
    confirmed_at: datetime | None,
    created_at: datetime,
) -> Subscriber:
    """A subscription as it stood on the other page, confirmed or not (CONFIRMED_AT); nothing is sent.

    An address subscribed here already keeps its own subscription (returned unchanged). A webhook gets
    a new signing key: the other page's requests carried none, so its receiver checks none.
    """
    if kind not in Subscriber.Kind.values:
        raise ValueError(f"{kind!r} is not a subscriber kind.")
    existing = Subscriber.objects.filter(kind=kind, address=address).first()
    if existing is not None:
        return existing
    subscriber = Subscriber.objects.create(
        kind=kind,
        address=address,
        confirmed_at=confirmed_at,
        created_at=created_at,
        secret=new_secret() if kind == Subscriber.Kind.WEBHOOK else "",
    )
    subscriber.components.set(list(components))
    record(actor, "status_subscription.import", subscriber, kind=kind, confirmed=confirmed_at is not None)
    return subscriber
