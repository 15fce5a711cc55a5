"""The escalation engine: page level after level until someone acknowledges.

When escalation starts, the policy is copied onto the incident (escalation_snapshot),
so editing the policy later does not change a page in progress. The levels are run
as numbered steps: step k pages level k % len(levels), for repeat + 1 rounds.

Every step is run by incidents.tasks.escalate with (incident, escalation_id, step).
A task whose escalation_id or step no longer matches the incident (acknowledged,
restarted, already run by the sweeper) exits without doing anything, so tasks can be
retried, duplicated or run late by the sweeper without paging anyone twice.
"""

import uuid
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from vigil.audit import SYSTEM, Actor

from . import paging
from .models import EscalationPolicy, Incident, IncidentEvent, Schedule, Status


def snapshot(policy: EscalationPolicy) -> dict:
    levels = policy.levels.prefetch_related("users", "schedules")
    return {
        "policy_id": policy.pk,
        "name": policy.name,
        "repeat": policy.repeat,
        "levels": [
            {
                "timeout_minutes": level.timeout_minutes,
                "users": [u.pk for u in level.users.all()],
                "schedules": [s.pk for s in level.schedules.all()],
            }
            for level in levels
        ],
    }


def total_steps(snap: dict) -> int:
    return len(snap.get("levels", ())) * (snap.get("repeat", 0) + 1)


def start(actor: Actor, incident: Incident, policy: EscalationPolicy) -> None:
    """Copy POLICY onto INCIDENT and queue its first step. The caller holds the row lock."""
    snap = snapshot(policy)
    incident.escalation_policy = policy
    incident.escalation_snapshot = snap
    incident.escalation_id = uuid.uuid4()
    incident.escalation_step = 0
    incident.next_escalation_at = timezone.now()
    incident.save()
    if not snap["levels"]:
        IncidentEvent.objects.create(
            incident=incident,
            kind=IncidentEvent.Kind.ESCALATED,
            message=f"Policy “{policy.name}” has no levels: nobody paged",
        )
        stop(incident)
        incident.save()
        return
    queue_step(incident, incident.escalation_id, 0)


def stop(incident: Incident) -> None:
    """Stop paging (the caller saves). Any task still queued finds the id changed and exits."""
    incident.escalation_id = None
    incident.next_escalation_at = None


def queue_step(incident: Incident, escalation_id: uuid.UUID, step: int, countdown: float = 0) -> None:
    from .tasks import escalate

    args = (incident.pk, str(escalation_id), step)
    transaction.on_commit(lambda: escalate.apply_async(args=args, countdown=countdown))


def targets(level: dict, at) -> list:
    """Who a level pages at AT: its users, and whoever is on call on its schedules."""
    users = {u.pk: u for u in get_user_model().objects.filter(pk__in=level["users"], is_active=True)}
    if not level["schedules"]:
        return list(users.values())
    from .oncall.schedule import on_call_users

    for schedule in Schedule.objects.filter(pk__in=level["schedules"]):
        for user in on_call_users(schedule, at):
            users.setdefault(user.pk, user)
    return list(users.values())


def run_step(incident: Incident, escalation_id, step: int, actor: Actor = SYSTEM, now=None) -> bool:
    """Run STEP if it is still the incident's next step. The caller holds the row lock. Returns True if run."""
    now = now or timezone.now()
    if str(incident.escalation_id) != str(escalation_id) or incident.escalation_step != step:
        return False
    if incident.status != Status.TRIGGERED:
        return False
    snap = incident.escalation_snapshot
    levels = snap["levels"]
    if step >= total_steps(snap):
        IncidentEvent.objects.create(
            incident=incident,
            kind=IncidentEvent.Kind.ESCALATED,
            message="Escalation ran through every level and nobody acknowledged",
        )
        stop(incident)
        incident.save()
        return True
    index = step % len(levels)
    level = levels[index]
    paged = [
        paging.page(user, incident, escalation_id=incident.escalation_id, step=step, level=index)
        for user in targets(level, now)
    ]
    names = ", ".join(p.user.get_username() for p in paged) or "nobody (no one on call)"
    round_note = f" (round {step // len(levels) + 1})" if step >= len(levels) else ""
    IncidentEvent.objects.create(
        incident=incident,
        kind=IncidentEvent.Kind.ESCALATED,
        message=f"Level {index + 1}{round_note}: paged {names}",
        actor=actor.user,
        actor_label=actor.label,
        data={"step": step, "level": index, "users": [p.user_id for p in paged]},
    )
    timeout = timedelta(minutes=level["timeout_minutes"])
    incident.escalation_step = step + 1
    incident.next_escalation_at = now + timeout
    incident.save(update_fields=["escalation_step", "next_escalation_at", "updated_at"])
    queue_step(incident, incident.escalation_id, step + 1, countdown=timeout.total_seconds())
    return True


def run_queued_step(incident_id: int, escalation_id: str, step: int, now=None) -> bool:
    """What the task does: lock the incident, re-check, run. Safe to repeat."""
    now = now or timezone.now()
    with transaction.atomic():
        incident = Incident.objects.select_for_update().filter(pk=incident_id).first()
        if incident is None:
            return False
        # Early by more than a second (a clock skew, or a task re-delivered): the sweeper runs it on time.
        if step > 0 and incident.next_escalation_at and incident.next_escalation_at > now + timedelta(seconds=1):
            return False
        return run_step(incident, escalation_id, step, now=now)


def run_due(now=None) -> int:
    """The sweeper: run every escalation step that is due, in case its task was lost."""
    now = now or timezone.now()
    due = Incident.objects.filter(status=Status.TRIGGERED, escalation_id__isnull=False, next_escalation_at__lte=now)
    ran = 0
    for incident_id, escalation_id, step in due.values_list("pk", "escalation_id", "escalation_step")[:500]:
        ran += run_queued_step(incident_id, str(escalation_id), step, now=now)
    return ran
