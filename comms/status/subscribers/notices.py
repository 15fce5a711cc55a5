"""Maintenance notices to the status page's subscribers: when a maintenance is scheduled, changed,
an hour before it starts, when it starts and when it ends.

Each moment is a MaintenanceNotice row, unique per (maintenance, key), written in the transaction
that made the moment happen (comms.status.services) or by beat (remind_due): a retried action or a
second beat finds the row there and writes nothing more. The row's outbox rows are planned after
commit by comms.tasks.plan_notice, and by the sweeper if that queueing was lost, like an update's
Fanout; rows are unique per (notice, subscriber), so planning twice adds nothing.
"""

import json
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from comms import messages
from comms.models import MaintenanceNotice, MaintenanceStatus, Notification, ScheduledMaintenance
from vigil.queue import enqueue

from . import services

Moment = MaintenanceNotice.Moment
# A line before the maintenance's own words saying what this notice is about.
LEADS = {
    Moment.CREATED: "",
    Moment.CHANGED: "This scheduled maintenance has changed.",
    Moment.REMINDER: "This scheduled maintenance starts in about an hour.",
    Moment.STARTED: "This scheduled maintenance has started.",
    Moment.COMPLETED: "This scheduled maintenance is complete.",
}


def reminder_lead() -> timedelta:
    return timedelta(minutes=settings.VIGIL_STATUS_MAINTENANCE_REMINDER_MINUTES)


def record(maintenance: ScheduledMaintenance, moment: str, key: str | None = None) -> MaintenanceNotice | None:
    """Note, once, that subscribers are to hear of MOMENT; plan it after commit. None if noted already."""
    key = key or moment
    try:
        with transaction.atomic():  # a savepoint: a duplicate must not spoil the caller's transaction
            notice = MaintenanceNotice.objects.create(maintenance=maintenance, moment=moment, key=key[:64])
    except IntegrityError:
        return None
    # After commit; a broker outage must not fail the change (robust): the sweeper plans it.
    enqueue("comms.tasks.plan_notice", notice.pk, robust=True)
    return notice


def reminder_key(maintenance: ScheduledMaintenance) -> str:
    """A rescheduled maintenance is reminded of again, for its new start."""
    return f"reminder:{int(maintenance.starts_at.timestamp())}"


def remind_due(now: datetime | None = None) -> int:
    """Beat: note the reminder of each maintenance starting within the hour. Returns the notices noted.

    Not for one announced within that hour: its announcement is reminder enough.
    """
    now = now or timezone.now()
    lead = reminder_lead()
    due = ScheduledMaintenance.objects.filter(
        status=MaintenanceStatus.SCHEDULED, starts_at__gt=now, starts_at__lte=now + lead
    )
    noted = 0
    for maintenance in due.only("pk", "starts_at", "created_at"):
        if maintenance.created_at > maintenance.starts_at - lead:
            continue
        with transaction.atomic():
            noted += record(maintenance, Moment.REMINDER, reminder_key(maintenance)) is not None
    return noted


# --- Planning ---------------------------------------------------------------------------------------


def plan(notice_id: int) -> list[str]:
    """Write the outbox rows of one notice, once. Returns the channels that got rows."""
    with transaction.atomic():
        notice = MaintenanceNotice.objects.select_for_update().filter(pk=notice_id).first()
        if notice is None or notice.planned_at is not None:
            return []  # planned, or its maintenance was withdrawn since
        maintenance = notice.maintenance
        component_ids = list(maintenance.components.values_list("pk", flat=True))
        texts = notice_texts(maintenance, notice.moment)
        rows = services.rows_for(services.interested(component_ids), texts.subject, texts.bodies, set(), notice=notice)
        Notification.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
        notice.planned_at = timezone.now()
        notice.recipients = len(rows)
        notice.save(update_fields=["planned_at", "recipients"])
    return sorted({row.channel for row in rows})


def notice_texts(maintenance: ScheduledMaintenance, moment: str) -> messages.Texts:
    """The maintenance's texts (its template, comms.templating), with what this moment is said first."""
    texts = messages.maintenance_texts(maintenance)
    lead = LEADS[moment]
    label = Moment(moment).label
    subject = texts.subject if moment == Moment.CREATED else f"{texts.subject} ({label})"
    bodies = dict(texts.bodies)
    if lead:
        bodies["email"] = f"{lead}\n\n{bodies['email']}"
        bodies["sms"] = f"{lead} {bodies['sms']}"
    payload = json.loads(bodies["webhook"])
    payload["event"] = f"maintenance.{moment}"
    payload["maintenance"]["status"] = maintenance.status
    bodies["webhook"] = json.dumps(payload)
    return messages.Texts(subject=subject[: messages.SUBJECT_LIMIT], bodies=bodies)


def unplanned(older_than: float = 30.0) -> list[int]:
    cutoff = timezone.now() - timedelta(seconds=older_than)
    return list(
        MaintenanceNotice.objects.filter(Q(planned_at=None), created_at__lt=cutoff).values_list("pk", flat=True)
    )
