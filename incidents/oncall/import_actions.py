"""Actions the importers and config as code need that the dashboard does not have yet: a person,
an escalation policy (created, updated with its levels, deleted).

The dashboard edits escalation policies through Django's admin and people are made with
`ensure_admin` or the admin; an importer must not write rows itself (DESIGN: every door calls
`do_*`), so these write the row, its levels and the audit entry in one transaction.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from incidents.models import EscalationLevel, EscalationPolicy
from vigil.audit import Actor, record
from vigil.roles import Role, assign_role


@transaction.atomic
def do_create_person(actor: Actor, *, email: str, name: str = "", role: Role = Role.RESPONDER):
    """An active account for EMAIL with no usable password: the person sets one by a password reset.

    Active, because a rotation takes turns only between active people (services.check_members):
    an inactive member would silently shorten the cycle and page the wrong person."""
    User = get_user_model()
    email = email.strip().lower()
    if not email:
        raise ValidationError({"email": "An email address is needed to match the person later."})
    if User.objects.filter(email__iexact=email).exists() or User.objects.filter(username=email).exists():
        raise ValidationError({"email": f"{email} has an account already."})
    first, _, last = name.strip().partition(" ")
    user = User(username=email[:150], email=email, first_name=first[:150], last_name=last[:150])
    user.set_unusable_password()
    user.full_clean()
    user.save()
    assign_role(user, role)
    record(actor, "user.create", user, email=email, role=role.value)
    return user


@dataclass
class Level:
    timeout_minutes: int
    users: Sequence = ()
    schedules: Sequence = ()


@transaction.atomic
def do_create_escalation_policy(
    actor: Actor, *, name: str, levels: Sequence[Level], description: str = "", repeat: int = 0, team=None
) -> EscalationPolicy:
    """A policy with its LEVELS in order, owned by TEAM (or nobody); each level pages its people and
    whoever is on call on its schedules."""
    policy = EscalationPolicy(name=name, description=description, repeat=repeat, team=team)
    policy.full_clean()
    if not levels:
        raise ValidationError({"levels": "A policy needs at least one level."})
    policy.save()
    _set_levels(policy, levels)
    record(actor, "escalation_policy.create", policy, levels=len(levels), team=team.pk if team else None)
    return policy


def _set_levels(policy: EscalationPolicy, levels: Sequence[Level]) -> None:
    for position, level in enumerate(levels):
        row = EscalationLevel(policy=policy, position=position, timeout_minutes=level.timeout_minutes)
        row.full_clean(exclude=["policy"])
        row.save()
        row.users.set(level.users)
        row.schedules.set(level.schedules)


POLICY_FIELDS = {"name", "description", "repeat", "team"}


@transaction.atomic
def do_update_escalation_policy(
    actor: Actor, policy: EscalationPolicy, *, levels: Sequence[Level] | None = None, **changes
) -> EscalationPolicy:
    """Change POLICY's fields and, given LEVELS, replace its levels with them. An incident already
    escalating keeps the chain it snapshotted when it started (incidents.escalation)."""
    unknown = set(changes) - POLICY_FIELDS
    if unknown:
        raise TypeError(f"not policy settings: {', '.join(sorted(unknown))}")
    policy = EscalationPolicy.objects.select_for_update().get(pk=policy.pk)
    for name, value in changes.items():
        setattr(policy, name, value)
    policy.full_clean()
    policy.save()
    if levels is not None:
        if not levels:
            raise ValidationError({"levels": "A policy needs at least one level."})
        policy.levels.all().delete()
        _set_levels(policy, levels)
    record(actor, "escalation_policy.update", policy, fields=sorted([*changes, *(["levels"] if levels else [])]))
    return policy


@transaction.atomic
def do_delete_escalation_policy(actor: Actor, policy: EscalationPolicy) -> None:
    """Delete POLICY. What named it (components, monitors, integrations) falls back to the defaults."""
    record(actor, "escalation_policy.delete", policy, name=policy.name)
    policy.delete()
