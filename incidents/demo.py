"""Demo data for `manage.py seed_demo`. Idempotent: running it twice changes nothing."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from .models import (
    Component,
    ComponentGroup,
    EscalationLevel,
    EscalationPolicy,
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
