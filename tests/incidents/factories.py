"""Paging set-ups for the incident tests: a person on call on a schedule, and a policy that pages it."""

from datetime import timedelta

from django.utils import timezone

from incidents.models import EscalationLevel, EscalationPolicy, Rotation, RotationMember, Schedule, SeverityDefinition


def on_call_policy(person, name: str = "Platform on-call", schedule: str = "Platform primary") -> EscalationPolicy:
    """PERSON on call now (a weekly rotation of one), and a policy whose first level pages that schedule."""
    rota = Schedule.objects.create(name=schedule)
    rotation = Rotation.objects.create(schedule=rota, starts_at=timezone.now() - timedelta(days=1), shift_unit="weeks")
    RotationMember.objects.create(rotation=rotation, user=person, position=0)
    policy = EscalationPolicy.objects.create(name=name)
    EscalationLevel.objects.create(policy=policy, position=0, timeout_minutes=5).schedules.add(rota)
    return policy


def empty_policy(name: str = "Nobody home") -> EscalationPolicy:
    """A policy whose only schedule has nobody on it."""
    policy = EscalationPolicy.objects.create(name=name)
    EscalationLevel.objects.create(policy=policy, position=0).schedules.add(
        Schedule.objects.create(name=f"{name} rota")
    )
    return policy


def severity_default(level: str, policy: EscalationPolicy | None) -> SeverityDefinition:
    definition, _ = SeverityDefinition.objects.update_or_create(
        level=level, defaults={"name": level.upper(), "description": "", "escalation_policy": policy}
    )
    return definition
