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
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from vigil.audit import SYSTEM, Actor
from vigil.people import people
from vigil.queue import enqueue

from . import paging
from .models import Component, EscalationPolicy, Incident, IncidentEvent, Page, Schedule, SeverityDefinition, Status


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
    """Queue STEP's task after commit (a rolled-back step queues nothing; the sweeper runs a lost one)."""
    enqueue("incidents.tasks.escalate", incident.pk, str(escalation_id), step, countdown=countdown)


def targets(level: dict, at) -> list:
    """Who a level pages at AT: its users, and whoever is on call on its schedules."""
    users = {u.pk: u for u in people().filter(pk__in=level["users"])}
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


# --- Who pages by default, and who that reaches now ------------------------------------------


@dataclass(frozen=True)
class Reached:
    """Someone a policy's first level pages: named in the level, or on call on one of its schedules."""

    user: object
    schedule: Schedule | None = None


@dataclass(frozen=True)
class PagingPlan:
    """What declaring (or *Page the on-call*) would do: which policy, why that one, and who it reaches now."""

    policy: EscalationPolicy | None
    reason: str = ""  # "the default for SEV1", "the default for Payments", "chosen"
    reached: list[Reached] = field(default_factory=list)
    chosen_none: bool = False  # the declarer chose not to page

    @property
    def pages_someone(self) -> bool:
        return bool(self.reached)


def default_policy(severity: str, components: Iterable[Component] = ()) -> tuple[EscalationPolicy | None, str]:
    """The policy an incident pages when its declarer names none, and why (for the form and the timeline).

    A component's default wins over the severity's: the severity says how urgent an outage is, the
    component says who can fix it (its owners' rotation), and paging the people who can fix it is the
    point. Among several components, the first in display order that has a default. Two queries at most.
    """
    ids = [c.pk if isinstance(c, Component) else c for c in components]
    if ids:
        component = Component.objects.filter(pk__in=ids, escalation_policy__isnull=False).select_related(
            "escalation_policy"
        )
        first = component.first()
        if first is not None:
            return first.escalation_policy, f"the default for {first.name}"
    definition = SeverityDefinition.objects.filter(level=severity, escalation_policy__isnull=False).first()
    if definition is not None:
        return definition.escalation_policy, f"the default for {definition.get_level_display()}"
    return None, ""


def reached_now(policy: EscalationPolicy, at: datetime | None = None) -> list[Reached]:
    """Who POLICY's first level pages at AT (now): its people, then whoever is on call on its schedules."""
    from .oncall.schedule import load_plans

    at = at or timezone.now()
    level = policy.levels.order_by("position", "id").first()
    if level is None:
        return []
    reached = {u.pk: Reached(u) for u in level.users.filter(is_active=True)}
    schedules = list(level.schedules.all())
    for plan in load_plans(schedules, at).values():
        for user in plan.users_at(at):
            reached.setdefault(user.pk, Reached(user, plan.schedule))
    return list(reached.values())


def plan_for(policy: EscalationPolicy | None, reason: str, at: datetime | None = None) -> PagingPlan:
    return PagingPlan(policy, reason, reached_now(policy, at) if policy is not None else [])


def declare_plan(
    severity: str, components: Iterable = (), chosen: EscalationPolicy | None = None, no_paging: bool = False
) -> PagingPlan:
    """What declaring with these choices would page now (the declare form's preview)."""
    if no_paging:
        return PagingPlan(None, "", [], chosen_none=True)
    if chosen is not None:
        return plan_for(chosen, "chosen")
    return plan_for(*default_policy(severity, components))


def suggested_plan(incident: Incident, at: datetime | None = None) -> PagingPlan:
    """Who *Page the on-call* pages for INCIDENT: its default policy when that reaches someone now, else
    the first policy (by name) that does. A SEV1 at 3 a.m. is better served by paging some on-call
    than by paging nobody; the button names the people before anyone presses it."""
    at = at or timezone.now()
    plan = plan_for(*default_policy(incident.severity, incident.components.all()), at=at)
    if plan.pages_someone:
        return plan
    for policy in EscalationPolicy.objects.exclude(pk=getattr(plan.policy, "pk", None)):
        other = plan_for(policy, "someone on call", at=at)
        if other.pages_someone:
            return other
    return plan


def is_paging(incident: Incident) -> bool:
    """Escalation is running: a level has paged, or is about to, and will go on until acknowledged."""
    return incident.escalation_id is not None


def page_once(actor: Actor, incident: Incident, policy: EscalationPolicy, at: datetime | None = None) -> list[Page]:
    """Page POLICY's first level once, without escalating (help for an incident already acknowledged).
    The caller holds the row lock."""
    at = at or timezone.now()
    round_id = uuid.uuid4()  # its own round: Page's one-per-step constraint never merges it with another
    pages = [paging.page(r.user, incident, escalation_id=round_id, step=0, level=0) for r in reached_now(policy, at)]
    names = ", ".join(p.user.get_username() for p in pages) or "nobody (no one on call)"
    IncidentEvent.objects.create(
        incident=incident,
        kind=IncidentEvent.Kind.PAGED,
        message=f"Paged {names} ({policy.name}, level 1)",
        actor=actor.user,
        actor_label=actor.label,
        data={"policy": policy.pk, "users": [p.user_id for p in pages]},
    )
    incident.save(update_fields=["updated_at"])  # what the incident page's live version watches
    return pages
