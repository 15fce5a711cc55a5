"""Plans: writing, the status workflow, approval into an immutable version, and reviews."""

from collections.abc import Iterable
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Max, ProtectedError, QuerySet
from django.utils import timezone

from vigil import ownership
from vigil.audit import Actor, record

from .. import signals
from ..models import DRPlan, PlanReview, PlanVersion, ReviewReminder, ReviewRequest, Step
from .common import ActionError, PermissionDenied, announce, review_remind_days

Status = DRPlan.Status
CHANGE = "dr_plans.change_drplan"


def can_approve(user, plan: DRPlan) -> bool:
    """Admins approve any plan; a plan may also name its own approver."""
    if user is None or not user.is_authenticated:
        return False
    return user.has_perm("dr_plans.approve_drplan") or plan.approver_id == user.pk


def can_review(user, plan: DRPlan) -> bool:
    """Whoever may edit plans, and the plan's owner and approver, record its reviews."""
    if user is None or not user.is_authenticated:
        return False
    if user.pk in (plan.owner_id, plan.approver_id):
        return True
    return user.has_perm(CHANGE) and ownership.may_change(user, plan, CHANGE)


def _locked(plan: DRPlan) -> DRPlan:
    return DRPlan.objects.select_for_update().get(pk=plan.pk)


def _move(actor: Actor, plan: DRPlan, status: str) -> DRPlan:
    if not plan.can_move_to(status):
        raise ActionError(
            f"A plan cannot move from {plan.get_status_display().lower()} to {Status(status).label.lower()}."
        )
    previous, plan.status = plan.status, status
    plan.save(update_fields=["status", "updated_at"])
    record(actor, "dr_plan.status", plan, previous=previous, status=status)
    return plan


def _edited(actor: Actor, plan: DRPlan, before: dict) -> None:
    """Editing an approved plan makes a new draft; the approved version stays as it was."""
    if plan.status == Status.APPROVED and plan.snapshot() != before:
        _move(actor, plan, Status.DRAFT)


def _check_editable(plan: DRPlan) -> None:
    if not plan.is_editable:
        raise ActionError("A retired plan is read-only; reopen it as a draft first.")


@transaction.atomic
def do_create_plan(actor: Actor, *, components: Iterable = (), vendors: Iterable = (), **fields) -> DRPlan:
    plan = DRPlan.objects.create(status=Status.DRAFT, **fields)
    plan.components.set(components)
    plan.vendors.set(vendors)
    record(actor, "dr_plan.create", plan)
    return plan


@transaction.atomic
def do_update_plan(actor: Actor, plan: DRPlan, *, components=None, vendors=None, **fields) -> DRPlan:
    plan = _locked(plan)
    _check_editable(plan)
    before = plan.snapshot()
    for name, value in fields.items():
        setattr(plan, name, value)
    plan.save()
    if components is not None:
        plan.components.set(components)
    if vendors is not None:
        plan.vendors.set(vendors)
    record(actor, "dr_plan.update", plan, fields=sorted(fields))
    _edited(actor, plan, before)
    return plan


@transaction.atomic
def do_save_step(actor: Actor, plan: DRPlan, step: Step | None = None, **fields) -> Step:
    """Add a step (STEP None) or change one; either edits the plan."""
    plan = _locked(plan)
    _check_editable(plan)
    before = plan.snapshot()
    if step is None:
        if "position" not in fields:
            last = plan.steps.aggregate(last=Max("position"))["last"]
            fields["position"] = 0 if last is None else last + 1
        step = Step(plan=plan)
    elif step.plan_id != plan.pk:
        raise ActionError("That step belongs to another plan.")
    for name, value in fields.items():
        setattr(step, name, value)
    step.save()
    record(actor, "dr_plan.step", plan, step=step.pk, title=step.title)
    _edited(actor, plan, before)
    return step


@transaction.atomic
def do_delete_step(actor: Actor, step: Step) -> None:
    plan = _locked(step.plan)
    _check_editable(plan)
    before = plan.snapshot()
    record(actor, "dr_plan.step_delete", plan, title=step.title)
    step.delete()
    _edited(actor, plan, before)


@transaction.atomic
def do_delete_plan(actor: Actor, plan: DRPlan) -> None:
    """Delete PLAN with its steps. A plan with an approved version is kept, as the record of what was
    approved (the versions protect it): retire it instead."""
    record(actor, "dr_plan.delete", plan, name=plan.name)
    try:
        plan.delete()
    except ProtectedError as exc:  # the audit entry goes with the transaction
        raise ActionError("An approved plan is kept; retire it instead.") from exc


@transaction.atomic
def do_submit(actor: Actor, plan: DRPlan) -> DRPlan:
    plan = _locked(plan)
    if not plan.steps.exists():
        raise ActionError("A plan needs at least one step before review.")
    return _move(actor, plan, Status.IN_REVIEW)


@transaction.atomic
def do_approve(actor: Actor, plan: DRPlan, note: str = "") -> PlanVersion:
    """Freeze the plan as it stands into the next immutable version."""
    # Vigil itself (seed_demo) approves as the system actor; a person needs the right.
    if actor.via != "system" and not can_approve(actor.user, plan):
        raise PermissionDenied("Only an admin or this plan's approver approves it.")
    plan = _locked(plan)
    if plan.status != Status.IN_REVIEW:
        raise ActionError("Only a plan in review is approved; submit it for review first.")
    last = plan.versions.aggregate(last=Max("number"))["last"] or 0
    version = PlanVersion.objects.create(
        plan=plan,
        number=last + 1,
        snapshot=plan.snapshot(),
        approved_by=actor.user,
        approved_by_label=actor.label,
        note=note,
    )
    _move(actor, plan, Status.APPROVED)
    # Approval is a review: the next one falls due a full cadence from now.
    plan.last_reviewed_at = version.approved_at
    plan.save(update_fields=["last_reviewed_at"])
    _close_review_requests(actor, plan)
    record(actor, "dr_plan.approve", plan, version=version.number)
    announce(signals.plan_approved, DRPlan, plan=plan, version=version, actor=actor)
    return version


@transaction.atomic
def do_retire(actor: Actor, plan: DRPlan) -> DRPlan:
    return _move(actor, _locked(plan), Status.RETIRED)


@transaction.atomic
def do_reopen(actor: Actor, plan: DRPlan) -> DRPlan:
    """Back to draft: a plan sent back from review, or a retired plan brought back."""
    return _move(actor, _locked(plan), Status.DRAFT)


def do_move(actor: Actor, plan: DRPlan, status: str) -> DRPlan | PlanVersion:
    """The one entry point for a status change by name, as the API's `status` action sends it."""
    moves = {Status.IN_REVIEW: do_submit, Status.RETIRED: do_retire, Status.DRAFT: do_reopen}
    if status == Status.APPROVED:
        return do_approve(actor, plan)
    if status not in moves:
        raise ActionError(f"{status!r} is not a plan status.")
    return moves[status](actor, plan)


@transaction.atomic
def do_record_review(actor: Actor, plan: DRPlan, changes: str) -> PlanReview:
    if not can_review(actor.user, plan):
        raise PermissionDenied("Only the plan's owner or approver, or an admin, records a review.")
    plan = _locked(plan)
    if plan.last_reviewed_at is None or plan.status == Status.RETIRED:
        raise ActionError("Only a plan in force (approved once, not retired) is reviewed.")
    if not changes.strip():
        raise ActionError("Say what changed, or 'no change'.")
    review = PlanReview.objects.create(
        plan=plan, reviewed_by=actor.user, reviewed_by_label=actor.label, changes=changes.strip()
    )
    plan.last_reviewed_at = review.reviewed_at
    plan.save(update_fields=["last_reviewed_at", "updated_at"])
    closed = _close_review_requests(actor, plan)
    record(actor, "dr_plan.review", plan, requests_closed=closed)
    announce(signals.plan_reviewed, DRPlan, plan=plan, review=review, actor=actor)
    return review


def open_review_requests(plan: DRPlan) -> QuerySet[ReviewRequest]:
    return plan.review_requests.filter(closed_at__isnull=True)


def _close_review_requests(actor: Actor, plan: DRPlan) -> int:
    """A review (or an approval) answers every request for one made so far."""
    return open_review_requests(plan).update(closed_at=timezone.now(), closed_by_label=actor.label)


def do_request_review(actor: Actor, plan: DRPlan, *, key: str, reason: str, url: str = "") -> ReviewRequest:
    """Flag PLAN for review now, whatever its due date (e.g. an action item to update a step).

    Asking again with the same KEY while a request is open changes nothing; the owner is
    told once, through review_requested.
    """
    existing = open_review_requests(plan).filter(key=key).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            request = ReviewRequest.objects.create(
                plan=plan, key=key, reason=reason[:300], url=url[:500], requested_by_label=actor.label
            )
            record(actor, "dr_plan.review_requested", plan, reason=request.reason, key=key)
            announce(signals.review_requested, DRPlan, plan=plan, request=request, actor=actor)
    except IntegrityError:
        # Another worker flagged it between our read and our write (the partial unique index).
        return open_review_requests(plan).get(key=key)
    return request


def send_review_reminders(now: datetime | None = None) -> int:
    """Announce review_due for each plan due soon or overdue, once per plan, kind and due date.

    Safe to run often and from two workers: the reminder row's unique constraint decides who sends.
    """
    now = now or timezone.now()
    sent = 0
    plans = DRPlan.objects.exclude(status=Status.RETIRED).filter(last_reviewed_at__isnull=False)
    for plan in plans.select_related("owner"):
        state = plan.review_state(now, review_remind_days())
        if state not in (DRPlan.ReviewState.DUE, DRPlan.ReviewState.OVERDUE):
            continue
        with transaction.atomic():
            _, created = ReviewReminder.objects.get_or_create(
                plan=plan, kind=state, due_at=plan.review_due_at, defaults={"sent_at": now}
            )
            if created:
                overdue = state == DRPlan.ReviewState.OVERDUE
                announce(signals.review_due, DRPlan, plan=plan, due_at=plan.review_due_at, overdue=overdue)
                sent += 1
    return sent
