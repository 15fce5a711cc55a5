"""Demo data for `manage.py seed_demo`. Idempotent: running it twice changes nothing."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db.models import Max
from django.utils import timezone

from vigil.audit import Actor

from . import services
from .models import (
    Component,
    ComponentGroup,
    ComponentStatus,
    EscalationLevel,
    EscalationPolicy,
    Incident,
    IncidentEvent,
    IncidentUpdate,
    PublicStatus,
    Rotation,
    RotationMember,
    Schedule,
    SeverityDefinition,
)

GROUPS = [("Web", 0), ("Platform", 1), ("Infrastructure", 2)]
COMPONENTS = [
    ("Website", "Public site and marketing pages", "Web", 1),
    ("API", "Public REST API", "Platform", 1),
    ("Payments", "Checkout and billing", "Platform", 2),
    ("Database", "Primary PostgreSQL cluster", "Infrastructure", 1),
]
SEVERITIES = [
    (
        "sev1",
        "Critical",
        "Customers cannot use a core feature, or data is at risk. All hands; update customers every 30 minutes.",
    ),
    ("sev2", "Major", "A core feature is degraded for many customers. Page the on-call; update customers hourly."),
    ("sev3", "Minor", "A non-core feature is broken or a few customers are affected. Fix in working hours."),
    ("sev4", "Low", "Cosmetic or internal only. No page."),
]


def seed() -> None:
    seed_oncall()
    for level, name, description in SEVERITIES:
        SeverityDefinition.objects.get_or_create(level=level, defaults={"name": name, "description": description})
    groups = {
        name: ComponentGroup.objects.get_or_create(name=name, defaults={"position": pos})[0] for name, pos in GROUPS
    }
    for name, description, group, position in COMPONENTS:
        Component.objects.get_or_create(
            name=name, defaults={"description": description, "group": groups[group], "position": position}
        )
    seed_history()


def seed_oncall() -> None:
    """A weekly rotation of the demo on-call user and a second responder, and a policy that pages it."""
    User = get_user_model()
    people = [u for u in User.objects.filter(username__in=["oncall", "sam"]).order_by("username")]
    schedule, created = Schedule.objects.get_or_create(name="Platform primary", defaults={"time_zone": "Europe/London"})
    if created:
        monday = (timezone.now() - timedelta(days=timezone.now().weekday())).replace(
            hour=9, minute=0, second=0, microsecond=0
        )
        rotation = Rotation.objects.create(schedule=schedule, name="Weekly", starts_at=monday, shift_unit="weeks")
        for position, user in enumerate(people):
            RotationMember.objects.create(rotation=rotation, user=user, position=position)
    policy, created = EscalationPolicy.objects.get_or_create(name="Platform on-call", defaults={"repeat": 2})
    if created:
        EscalationLevel.objects.create(policy=policy, position=0, timeout_minutes=5).schedules.add(schedule)
        second = EscalationLevel.objects.create(policy=policy, position=1, timeout_minutes=10)
        second.users.set(people)
    # A SEV1 or SEV2 declared without choosing a policy pages the on-call (issue #15): the default of each,
    # set once (an admin's later choice is left alone).
    for level, name, description in SEVERITIES[:2]:
        definition, made = SeverityDefinition.objects.get_or_create(
            level=level, defaults={"name": name, "description": description}
        )
        if definition.escalation_policy_id is None and (made or created):
            definition.escalation_policy = policy
            definition.save(update_fields=["escalation_policy"])


# --- History: a resolved incident of three days ago ---------------------------------------------

TITLE = "Checkout errors after a payment-provider deploy"
# (minutes after the start, the step): the incident's story, as its responders lived it.
STORY = [
    (0, "declare"),
    (3, "acknowledge"),
    (6, (PublicStatus.INVESTIGATING, "Some customers see errors at checkout. We are investigating.")),
    (24, (PublicStatus.IDENTIFIED, "A change at our payment provider rejects some cards. We are rolling back.")),
    (41, (PublicStatus.MONITORING, "The rollback is done and checkouts succeed again. We are watching closely.")),
    (71, (PublicStatus.RESOLVED, "Checkout has worked normally for 30 minutes. This incident is resolved.")),
]


def seed_history() -> Incident | None:
    """A resolved incident of three days ago with its public updates, lived through the actions the
    dashboard calls, its times then moved back. Idempotent: an existing one is left alone."""
    oncall = get_user_model().objects.filter(username="oncall").first()
    if oncall is None or Incident.objects.filter(title=TITLE).exists():
        return None
    start = (timezone.now() - timedelta(days=3)).replace(hour=14, minute=7, second=0, microsecond=0)
    return _live_through_story(Actor(user=oncall, via="demo"), oncall, start)


def _live_through_story(actor: Actor, commander, start) -> Incident:
    payments = Component.objects.filter(name="Payments").first()
    marks = []  # (minutes, last event id, last update id) after each step
    incident = None
    for minutes, step in STORY:
        if step == "declare":
            incident, _ = services.do_declare(
                actor,
                title=TITLE,
                severity="sev2",
                summary="Card payments fail for part of the customers.",
                components={payments: ComponentStatus.PARTIAL_OUTAGE} if payments else {},
                commander=commander,
                paging=False,  # history: nobody is to be paged about it now
            )
        elif step == "acknowledge":
            incident = services.do_acknowledge(actor, incident)
        else:
            status, message = step
            services.do_post_update(actor, incident, status, message)
        marks.append((minutes, _last_id(incident.events), _last_id(incident.updates)))
    _move_back_in_time(incident, start, marks)
    return Incident.objects.get(pk=incident.pk)


def _last_id(related) -> int:
    return related.aggregate(last=Max("id"))["last"] or 0


def _move_back_in_time(incident: Incident, start, marks) -> None:
    """Give each step's timeline rows and updates the step's moment, and the incident its own times."""
    previous_event = previous_update = 0
    for minutes, last_event, last_update in marks:
        at = start + timedelta(minutes=minutes)
        IncidentEvent.objects.filter(incident=incident, id__gt=previous_event, id__lte=last_event).update(created_at=at)
        updates = IncidentUpdate.objects.filter(incident=incident, id__gt=previous_update, id__lte=last_update)
        updates.update(created_at=at)
        previous_event, previous_update = last_event, last_update
    moment = {step if isinstance(step, str) else step[0]: start + timedelta(minutes=m) for m, step in STORY}
    Incident.objects.filter(pk=incident.pk).update(
        started_at=moment["declare"],
        acknowledged_at=moment["acknowledge"],
        identified_at=moment[PublicStatus.IDENTIFIED],
        monitoring_at=moment[PublicStatus.MONITORING],
        resolved_at=moment[PublicStatus.RESOLVED],
    )
