"""Actions on scheduled maintenance. The dashboard, the admin and beat call these, and only these.

A maintenance moves scheduled -> in progress -> (verifying ->) completed, by hand or by beat
(advance_due, every few seconds: it starts what is due and completes what has run out). While
it is in progress or verifying, its components are under maintenance: incidents.services.
do_set_maintenance sets their status, which is what the status page shows and what
monitoring.recording.in_maintenance reads to hold their monitors' alerts. Every move leaves a
public MaintenanceUpdate, and the status page is rebuilt after commit (comms.status.triggers).
Subscribers hear when it is scheduled, changed, starts and ends (comms.status.subscribers.notices), and beat
reminds them an hour before it starts.
"""

from collections.abc import Iterable
from datetime import UTC, datetime

from django.db import transaction
from django.utils import timezone

from comms.models import (
    MaintenanceNotice,
    MaintenanceStatus,
    MaintenanceUpdate,
    ScheduledMaintenance,
    StatusPageBranding,
)
from comms.models.status import ACTIVE_MAINTENANCE
from comms.status.subscribers import notices
from incidents.models import Component
from incidents.services import do_set_maintenance
from vigil.audit import Actor, record

DEFAULT_MESSAGES = {
    MaintenanceStatus.IN_PROGRESS: "Scheduled maintenance is in progress. We will provide updates as necessary.",
    MaintenanceStatus.VERIFYING: "The work is done; we are verifying that everything works as it should.",
    MaintenanceStatus.COMPLETED: "The scheduled maintenance has been completed.",
}
SUBSCRIBER_MOMENTS = {
    MaintenanceStatus.IN_PROGRESS: MaintenanceNotice.Moment.STARTED,
    MaintenanceStatus.COMPLETED: MaintenanceNotice.Moment.COMPLETED,
}
EDITABLE = {"title", "message", "components", "starts_at", "ends_at"}


class MaintenanceError(Exception):
    """The change is not allowed in the maintenance's present state. The message says why."""


def _check_window(starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at:
        raise MaintenanceError("The window must end after it starts.")


def _utc_words(value: datetime) -> str:
    value = value.astimezone(UTC)
    return f"{value.day} {value:%b %Y, %H:%M} UTC"


@transaction.atomic
def do_schedule_maintenance(
    actor: Actor,
    *,
    title: str,
    message: str,
    components: Iterable[Component],
    starts_at: datetime,
    ends_at: datetime,
) -> ScheduledMaintenance:
    """Announce a maintenance. One whose window has already begun starts at once."""
    _check_window(starts_at, ends_at)
    if not title.strip() or not message.strip():
        raise MaintenanceError("A maintenance needs a title and a message.")
    maintenance = ScheduledMaintenance.objects.create(
        title=title.strip(), message=message.strip(), starts_at=starts_at, ends_at=ends_at, created_by=actor.user
    )
    maintenance.components.set(list(components))
    MaintenanceUpdate.objects.create(
        maintenance=maintenance, status=MaintenanceStatus.SCHEDULED, message=maintenance.message
    )
    record(
        actor, "status_maintenance.schedule", maintenance, starts_at=starts_at.isoformat(), ends_at=ends_at.isoformat()
    )
    notices.record(maintenance, MaintenanceNotice.Moment.CREATED)
    _advance(actor, maintenance, timezone.now())
    return maintenance


@transaction.atomic
def do_change_maintenance(actor: Actor, maintenance: ScheduledMaintenance, **fields) -> ScheduledMaintenance:
    """Change what a maintenance says, covers or when; components join or leave maintenance at once if it runs."""
    unknown = set(fields) - EDITABLE
    if unknown:
        raise TypeError(f"not maintenance fields: {', '.join(sorted(unknown))}")
    maintenance = ScheduledMaintenance.objects.select_for_update().get(pk=maintenance.pk)
    if maintenance.status == MaintenanceStatus.COMPLETED:
        raise MaintenanceError("A completed maintenance cannot be changed.")
    starts_at, ends_at = fields.get("starts_at", maintenance.starts_at), fields.get("ends_at", maintenance.ends_at)
    _check_window(starts_at, ends_at)
    rescheduled = (starts_at, ends_at) != (maintenance.starts_at, maintenance.ends_at)
    before = _what_subscribers_read(maintenance)
    components = fields.pop("components", None)
    for name, value in fields.items():
        setattr(maintenance, name, value.strip() if isinstance(value, str) else value)
    maintenance.save()
    if components is not None:
        _replace_components(actor, maintenance, list(components))
    if rescheduled:
        MaintenanceUpdate.objects.create(
            maintenance=maintenance,
            status=maintenance.status,
            message=f"Rescheduled: now from {_utc_words(starts_at)} to {_utc_words(ends_at)}.",
        )
    record(
        actor,
        "status_maintenance.change",
        maintenance,
        changed=sorted([*fields, *(["components"] if components is not None else [])]),
    )
    now = timezone.now()
    if _what_subscribers_read(maintenance) != before:
        notices.record(maintenance, MaintenanceNotice.Moment.CHANGED, f"changed:{int(now.timestamp() * 1e6)}")
    _advance(actor, maintenance, now)
    return maintenance


def _what_subscribers_read(maintenance: ScheduledMaintenance) -> tuple:
    components = frozenset(maintenance.components.values_list("pk", flat=True))
    return (maintenance.title, maintenance.message, maintenance.starts_at, maintenance.ends_at, components)


def _replace_components(actor: Actor, maintenance: ScheduledMaintenance, components: list[Component]) -> None:
    before = set(maintenance.components.all())
    maintenance.components.set(components)
    if maintenance.is_active:
        do_set_maintenance(actor, set(components) - before, on=True)
        _release(actor, maintenance, before - set(components))


@transaction.atomic
def do_move_maintenance(
    actor: Actor, maintenance: ScheduledMaintenance, status: str, message: str = ""
) -> ScheduledMaintenance:
    """Move a maintenance on by hand (start it early, verify, complete it), with a public update."""
    maintenance = ScheduledMaintenance.objects.select_for_update().get(pk=maintenance.pk)
    if status not in MaintenanceStatus.values:
        raise MaintenanceError(f"{status!r} is not a maintenance status.")
    if not maintenance.can_move_to(status):
        raise MaintenanceError(
            f"A maintenance cannot move from {maintenance.get_status_display().lower()} to "
            f"{MaintenanceStatus(status).label.lower()}."
        )
    _move(actor, maintenance, status, message, timezone.now())
    return maintenance


def _move(actor: Actor, maintenance: ScheduledMaintenance, status: str, message: str, now: datetime) -> None:
    was_active = maintenance.is_active
    maintenance.status = status
    if status == MaintenanceStatus.IN_PROGRESS and maintenance.started_at is None:
        maintenance.started_at = now
    if status == MaintenanceStatus.COMPLETED:
        maintenance.completed_at = now
    maintenance.save()
    components = list(maintenance.components.all())
    if maintenance.is_active and not was_active:
        do_set_maintenance(actor, components, on=True)
    elif was_active and not maintenance.is_active:
        _release(actor, maintenance, components)
    MaintenanceUpdate.objects.create(
        maintenance=maintenance, status=status, message=message.strip() or DEFAULT_MESSAGES[status], created_at=now
    )
    record(actor, f"status_maintenance.{status}", maintenance)
    # Subscribers hear of the start once (verifying -> in progress again is no new start) and of the end.
    if status in SUBSCRIBER_MOMENTS:
        notices.record(maintenance, SUBSCRIBER_MOMENTS[status])


def _release(actor: Actor, maintenance: ScheduledMaintenance, components: Iterable[Component]) -> None:
    """Take COMPONENTS out of maintenance, except those another running maintenance still covers."""
    still_covered = set(
        ScheduledMaintenance.objects.active().exclude(pk=maintenance.pk).values_list("components", flat=True)
    )
    do_set_maintenance(actor, [c for c in components if c.pk not in still_covered], on=False)


@transaction.atomic
def do_cancel_maintenance(actor: Actor, maintenance: ScheduledMaintenance) -> None:
    """Withdraw a maintenance: it disappears from the page; its components leave maintenance if it ran."""
    maintenance = ScheduledMaintenance.objects.select_for_update().get(pk=maintenance.pk)
    if maintenance.is_active:
        _release(actor, maintenance, list(maintenance.components.all()))
    record(actor, "status_maintenance.cancel", maintenance, title=maintenance.title)
    maintenance.delete()


# --- Beat --------------------------------------------------------------------------------------


def advance_due(now: datetime | None = None) -> int:
    """Start the maintenances whose window began, complete those whose window ended. Returns the moves.

    Safe with two beats or workers at once: each row is claimed with SKIP LOCKED and re-checked.
    """
    now = now or timezone.now()
    moves = 0
    for pk in ScheduledMaintenance.objects.due(now).values_list("pk", flat=True):
        with transaction.atomic():
            maintenance = ScheduledMaintenance.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
            if maintenance is not None:
                moves += _advance(Actor(via="beat"), maintenance, now)
    return moves


def _advance(actor: Actor, maintenance: ScheduledMaintenance, now: datetime) -> int:
    moves = 0
    if maintenance.status == MaintenanceStatus.SCHEDULED and maintenance.starts_at <= now:
        _move(actor, maintenance, MaintenanceStatus.IN_PROGRESS, "", now)
        moves += 1
    if maintenance.status in ACTIVE_MAINTENANCE and maintenance.ends_at <= now:
        _move(actor, maintenance, MaintenanceStatus.COMPLETED, "", now)
        moves += 1
    return moves


BRANDING_FIELDS = {"name", "page_id", "logo_url", "accent_colour", "footer_links", "support_contact"}


@transaction.atomic
def do_save_branding(actor: Actor, **changes) -> StatusPageBranding:
    """Change the status page's name, look and contacts (its one row, made on first use). The page
    is rebuilt by the save's signal (comms.status.triggers)."""
    unknown = set(changes) - BRANDING_FIELDS
    if unknown:
        raise TypeError(f"not status page settings: {', '.join(sorted(unknown))}")
    branding = StatusPageBranding.load()
    branding = StatusPageBranding.objects.select_for_update().get(pk=branding.pk)
    for name, value in changes.items():
        setattr(branding, name, value)
    branding.full_clean()
    branding.save()
    record(actor, "status_page.branding", branding, changed=sorted(changes))
    return branding
