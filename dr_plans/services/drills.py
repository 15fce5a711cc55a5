"""Drills: scheduling, the live checklist with per-step timing, and the verdict against RTO and RPO."""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from vigil.audit import Actor, record

from .. import signals
from ..models import Drill, DrillStep, DRPlan
from .common import ActionError, announce

Status = Drill.Status


def _locked(drill: Drill) -> Drill:
    return Drill.objects.select_for_update().get(pk=drill.pk)


@transaction.atomic
def do_schedule_drill(
    actor: Actor,
    plan: DRPlan,
    *,
    scenario: str,
    scheduled_for: datetime,
    repeat_every_days: int | None = None,
    participants: Iterable = (),
) -> Drill:
    """Plan a drill. Participants are told through drill_scheduled (comms sends the notices)."""
    if plan.status == DRPlan.Status.RETIRED:
        raise ActionError("A retired plan is not drilled.")
    drill = Drill.objects.create(
        plan=plan,
        scenario=scenario,
        scheduled_for=scheduled_for,
        repeat_every_days=repeat_every_days,
        created_by=actor.user,
    )
    drill.participants.set(participants)
    record(actor, "dr_drill.schedule", drill, plan=plan.pk)
    announce(signals.drill_scheduled, Drill, drill=drill, actor=actor)
    return drill


@transaction.atomic
def do_start_drill(actor: Actor, drill: Drill) -> Drill:
    """Start the clock, and copy the steps of the plan's latest approved version into the drill."""
    drill = _locked(drill)
    if drill.status != Status.SCHEDULED:
        raise ActionError(f"This drill is {drill.get_status_display().lower()}; only a scheduled drill starts.")
    version = drill.plan.latest_version()
    if version is None:
        raise ActionError("The plan has no approved version to drill; approve it first.")
    drill.version = version
    drill.target_rto_minutes = version.snapshot["rto_minutes"]
    drill.target_rpo_minutes = version.snapshot["rpo_minutes"]
    drill.status = Status.RUNNING
    drill.started_at = timezone.now()
    drill.save()
    DrillStep.objects.bulk_create(
        DrillStep(
            drill=drill,
            position=i,
            section=s["section"],
            title=s["title"],
            instructions=s["instructions"],
            command=s["command"],
            expected_minutes=s["expected_minutes"],
        )
        for i, s in enumerate(version.steps)
    )
    record(actor, "dr_drill.start", drill, version=version.number)
    return drill


def _running_step(step: DrillStep) -> tuple[Drill, DrillStep]:
    drill = _locked(step.drill)
    if drill.status != Status.RUNNING:
        raise ActionError("The drill is not running.")
    return drill, DrillStep.objects.select_for_update().get(pk=step.pk)


@transaction.atomic
def do_start_step(actor: Actor, step: DrillStep) -> DrillStep:
    _, step = _running_step(step)
    if step.started_at is not None:
        raise ActionError("This step has already started.")
    step.started_at = timezone.now()
    step.save(update_fields=["started_at"])
    return step


@transaction.atomic
def do_finish_step(actor: Actor, step: DrillStep, notes: str = "", problem: str = "") -> DrillStep:
    """Tick a step done. One never started began when the previous step ended (or the drill began)."""
    drill, step = _running_step(step)
    if step.finished_at is not None:
        raise ActionError("This step is already done.")
    now = timezone.now()
    if step.started_at is None:
        previous = drill.steps.filter(finished_at__isnull=False).aggregate(last=Max("finished_at"))["last"]
        step.started_at = previous or drill.started_at
    step.finished_at = now
    step.notes, step.problem = notes.strip(), problem.strip()
    step.save(update_fields=["started_at", "finished_at", "notes", "problem"])
    record(actor, "dr_drill.step", drill, step=step.title)
    return step


@transaction.atomic
def do_finish_drill(actor: Actor, drill: Drill, *, data_loss_minutes: int, findings: str = "") -> Drill:
    """Stop the clock and give the verdict. A recurring drill schedules its next run."""
    drill = _locked(drill)
    if drill.status != Status.RUNNING:
        raise ActionError("Only a running drill is finished.")
    steps = list(drill.steps.all())
    drill.finished_at = max([timezone.now(), *(s.finished_at for s in steps if s.finished_at)])
    drill.data_loss_minutes = data_loss_minutes
    drill.findings = findings.strip()
    drill.status = Status.COMPLETED
    drill.passed = drill.verdict(steps_done=all(s.finished_at for s in steps))
    drill.save()
    record(actor, "dr_drill.finish", drill, passed=drill.passed, recovery_minutes=round(drill.recovery_minutes, 2))
    if drill.repeat_every_days:
        _schedule_next(actor, drill)
    announce(signals.drill_finished, Drill, drill=drill, actor=actor)
    return drill


def _schedule_next(actor: Actor, drill: Drill) -> Drill:
    step = timedelta(days=drill.repeat_every_days)
    when = drill.scheduled_for + step
    while when <= timezone.now():
        when += step
    return do_schedule_drill(
        actor,
        drill.plan,
        scenario=drill.scenario,
        scheduled_for=when,
        repeat_every_days=drill.repeat_every_days,
        participants=drill.participants.all(),
    )


@transaction.atomic
def do_cancel_drill(actor: Actor, drill: Drill) -> Drill:
    drill = _locked(drill)
    if drill.status not in (Status.SCHEDULED, Status.RUNNING):
        raise ActionError("Only a scheduled or running drill is cancelled.")
    drill.status = Status.CANCELLED
    drill.save(update_fields=["status"])
    record(actor, "dr_drill.cancel", drill)
    return drill
