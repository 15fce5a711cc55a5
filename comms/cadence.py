"""Update cadence: an open SEV1 or SEV2 incident owes its public a new update every N minutes.

The clock runs from the latest public update (or, before the first, from the start of the
incident). Once it is overdue, the incident commander is reminded (the person who
acknowledged when there is no commander; with neither, a log line), once per overdue
period: at N minutes without an update, again at 2N, and so on. The reminder goes through
the outbox like a page, by the person's immediate notification rules (email and SMS when
they have none).

N comes from VIGIL_UPDATE_CADENCE_SEV1_MINUTES (default 30) and
VIGIL_UPDATE_CADENCE_SEV2_MINUTES (default 60); 0 turns the cadence off for that severity.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from incidents.models import Incident, Severity

from . import queueing, rules_for
from .channels import channel_for
from .models import Medium, Notification, NotificationRule, UpdateReminder

logger = logging.getLogger(__name__)

# The severities that owe updates on a cadence, and the setting that holds each one's minutes.
CADENCE_SETTINGS = {
    Severity.SEV1: "VIGIL_UPDATE_CADENCE_SEV1_MINUTES",
    Severity.SEV2: "VIGIL_UPDATE_CADENCE_SEV2_MINUTES",
}
REMINDER_MEDIA = [Medium.EMAIL, Medium.SMS]  # when the person has no immediate notification rule


def cadence_minutes(severity: str) -> int:
    """Minutes between public updates for SEVERITY; 0: no cadence."""
    name = CADENCE_SETTINGS.get(severity)
    return max(0, getattr(settings, name)) if name else 0


@dataclass(frozen=True)
class Cadence:
    every: timedelta
    since: datetime  # the latest public update, or the start of the incident

    @property
    def due_at(self) -> datetime:
        return self.since + self.every

    def overdue(self, now: datetime) -> bool:
        return now >= self.due_at

    def period_due_at(self, now: datetime) -> datetime | None:
        """When the overdue period NOW falls in began (None when not overdue): due_at, due_at + every, ..."""
        if not self.overdue(now):
            return None
        return self.since + self.every * ((now - self.since) // self.every)


def cadence_for(incident: Incident, last_update_at: datetime | None) -> Cadence | None:
    """INCIDENT's cadence, or None when it has none (resolved, SEV3 or lower, or turned off)."""
    minutes = cadence_minutes(incident.severity)
    if not incident.is_open or not minutes:
        return None
    return Cadence(every=timedelta(minutes=minutes), since=last_update_at or incident.started_at)


def remind_updates(now: datetime | None = None) -> int:
    """Remind about every overdue incident, once per overdue period. Returns the reminders written.

    Safe to run often and from two workers at once: UpdateReminder's unique constraint decides.
    """
    now = now or timezone.now()
    severities = [s for s in CADENCE_SETTINGS if cadence_minutes(s)]
    incidents = (
        Incident.objects.open()
        .filter(severity__in=severities)
        .annotate(last_update_at=Max("updates__created_at"))
        .select_related("commander", "acknowledged_by")
    )
    reminded = 0
    for incident in incidents:
        cadence = cadence_for(incident, incident.last_update_at)
        due_at = cadence.period_due_at(now) if cadence else None
        if due_at is not None and remind(incident, cadence, due_at, now) is not None:
            reminded += 1
    return reminded


def remind(incident: Incident, cadence: Cadence, due_at: datetime, now: datetime) -> UpdateReminder | None:
    """Record the reminder for the period that began at DUE_AT and queue its messages; None if already done."""
    person = incident.commander or incident.acknowledged_by
    with transaction.atomic():
        reminder, created = UpdateReminder.objects.get_or_create(
            incident=incident, due_at=due_at, defaults={"recipient": person, "sent_at": now}
        )
        if not created:
            return None
        if person is None:
            logger.warning(
                "Incident %s has had no public update for %d min and no commander or acknowledger to remind",
                incident.pk,
                (now - cadence.since) // timedelta(minutes=1),
            )
            return reminder
        rows = reminder_rows(incident, person, cadence, now)
        if not rows:
            logger.warning("%s has no email or phone to be reminded of incident %s's update", person, incident.pk)
        Notification.objects.bulk_create(rows)
        kinds = sorted({row.channel for row in rows})
        transaction.on_commit(lambda: queueing.queue_sends(kinds))
    return reminder


def reminder_media(person) -> list[str]:
    rules = NotificationRule.objects.filter(user=person, delay_minutes=0).values_list("medium", flat=True)
    return list(rules) or REMINDER_MEDIA


def reminder_rows(incident: Incident, person, cadence: Cadence, now: datetime) -> list[Notification]:
    contact = getattr(person, "contact", None)
    phone = "" if contact is None or getattr(contact, "sms_opted_out", False) else contact.phone
    subject, body, short = reminder_texts(incident, cadence, now)
    rows = []
    for medium in reminder_media(person):
        destination = rules_for.destination(person, medium, phone)
        if not destination:
            continue
        rows.append(
            Notification(
                user=person,
                medium=medium,
                channel=channel_for(medium),
                destination=destination,
                subject=subject if medium == Medium.EMAIL else "",
                body=body if medium == Medium.EMAIL else short,
                next_attempt_at=now,
            )
        )
    return rows


def reminder_texts(incident: Incident, cadence: Cadence, now: datetime) -> tuple[str, str, str]:
    """(subject, email body, SMS and voice text)."""
    minutes = (now - cadence.since) // timedelta(minutes=1)
    every = cadence.every // timedelta(minutes=1)
    url = settings.VIGIL_BASE_URL + incident.get_absolute_url()
    severity = incident.get_severity_display()
    subject = f"[{severity}] Public update overdue: #{incident.pk} {incident.title}"[:300]
    body = (
        f"#{incident.pk} {incident.title} has had no public update for {minutes} min.\n"
        f"{severity} incidents get one at least every {every} min. Post one: {url}\n"
    )
    short = f"Vigil: #{incident.pk} {incident.title} has had no public update for {minutes} min. Post one: {url}"
    return subject, body, short
