"""What the apps below this one recorded about an incident: monitoring, reputation watch, the comms outbox.

postmortems.drafting stores them in PostMortem.impact. Each function costs a fixed number of
queries (one or two, aggregates computed by the database) however long the incident ran, how
many checks failed or how many messages went out.
"""

import re
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, F, OuterRef, Q, Subquery

from comms.models import State
from incidents.models import Alert, Incident, IncidentEvent, IncidentUpdate, Source
from monitoring.models import CheckResult, Monitor
from monitoring.reputation.models import Mention, MentionSpike, Sentiment

# The dedup keys monitoring.alerting gives the incidents it opens (monitor_key, component_key).
MONITOR_KEY = re.compile(r"monitor:(\d+)")
COMPONENT_KEY = re.compile(r"component:(\d+):monitors")  # before redundancy groups (incidents of old)
GROUP_KEY = re.compile(r"redundancy:(\d+)")


@dataclass(frozen=True)
class Detection:
    text: str  # what opened the incident, for people: "Monitor “API health”"
    first_sign_at: datetime  # the earliest sign of trouble on record


def _opening_monitors(incident: Incident):
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
    last_pass = (
        CheckResult.objects.filter(monitor=OuterRef("monitor"), checked_at__lte=incident.started_at)
        .exclude(outcome=down)
        .order_by("-checked_at")
        .values("checked_at")[:1]
    )
    return (
        CheckResult.objects.filter(
            monitor__in=_opening_monitors(incident).values("pk"), outcome=down, checked_at__lte=incident.started_at
        )
        .alias(last_pass=Subquery(last_pass))
        .filter(Q(last_pass__isnull=True) | Q(checked_at__gt=F("last_pass")))
        .order_by("checked_at", "pk")
        .values_list("checked_at", "monitor__name")
        .first()
    )


def _declarer(incident: Incident, events: list[IncidentEvent]) -> str:
    declared = next((e for e in events if e.kind == IncidentEvent.Kind.DECLARED), None)
    name = declared.actor_label if declared and declared.actor_id else ""
    return f"Declared by a person ({name})" if name else "Declared by a person"


def detected_by(incident: Incident, events: list[IncidentEvent]) -> Detection:
    """What opened INCIDENT and the first sign of trouble: the incident's start, an attached alert's
    startsAt, the opening monitor's first failing check, or a reputation spike's first hour."""
    signs = [incident.started_at]
    alert = Alert.objects.filter(incident=incident).select_related("integration").order_by("starts_at", "pk").first()
    if alert is not None:
        signs.append(alert.starts_at)
    text = _declarer(incident, events)
    if incident.source == Source.MONITOR:
        failing = first_failing_check(incident)
        if failing is not None:
            signs.append(failing[0])
            text = f"Monitor “{failing[1]}”"
        else:
            text = "A monitor (its failing checks are no longer on record)"
    elif incident.source == Source.ALERT and alert is not None:
        text = f"Alert “{alert.title}” from {alert.integration.get_kind_display()} (“{alert.integration.name}”)"
    elif incident.source == Source.REPUTATION:
        spike = MentionSpike.objects.filter(incident=incident).order_by("started_at").first()
        text = "Reputation watch: a spike in mentions"
        if spike is not None:
            signs.append(spike.started_at)
            text += f" ({spike.get_reason_display().lower()})"
    return Detection(text, min(signs))


def notification_figures(incident: Incident) -> dict:
    """Who the incident's public updates reached, and what became of each outbox row. One query.

    stakeholders, subscribers (status page), endpoints (webhooks, Slack): each counted once however
    many updates and media reached them. messages: outbox rows (one per update, recipient and
    channel). sent: the provider took it (sent, delivered or bounced since). delivered: the
    provider reported it delivered. failed: refused for good, or bounced. pending: still queued
    or sending when drafted.
    """
    row = "notifications"
    states = {
        "sent": [State.SENT, State.DELIVERED, State.BOUNCED],
        "delivered": [State.DELIVERED],
        "failed": [State.FAILED, State.BOUNCED],
        "bounced": [State.BOUNCED],
        "pending": [State.QUEUED, State.SENDING],
        "cancelled": [State.CANCELLED],
    }
    return IncidentUpdate.objects.filter(incident=incident).aggregate(
        updates=Count("pk", distinct=True),
        messages=Count(row),
        stakeholders=Count(f"{row}__stakeholder", distinct=True),
        subscribers=Count(f"{row}__subscriber", distinct=True),
        endpoints=Count(f"{row}__endpoint", distinct=True),
        **{name: Count(row, filter=Q(**{f"{row}__state__in": values})) for name, values in states.items()},
    )


def mention_figures(incident: Incident) -> dict:
    """The reputation mentions linked to the incident: how many, how many negative, how many answered."""
    return Mention.objects.filter(incident=incident).aggregate(
        total=Count("pk"),
        negative=Count("pk", filter=Q(label=Sentiment.NEGATIVE)),
        responded=Count("pk", filter=Q(state=Mention.State.RESPONDED)),
    )
