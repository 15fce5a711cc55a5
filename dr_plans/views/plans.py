from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from incidents import providers
from vigil import ownership, privacy
from vigil.access import permission_required
from vigil.audit import Actor

from .. import export, services
from ..chart import recovery_chart
from ..diff import changed, side_by_side
from ..forms import ApproveForm, PlanForm, ReviewForm, StepForm
from ..models import Backup, Drill, DRPlan, PlanVersion, Step
from ..services.common import restore_max_age_days, review_remind_days
from .common import act, form_page, sections

VIEW = "dr_plans.view_drplan"
CHANGE = "dr_plans.change_drplan"


def backup_flags(backups, now) -> list[dict]:
    """Each backup with what is wrong with it: plans whose RPO it misses, a stale restore, a missed run."""
    max_age = restore_max_age_days()
    return [
        {
            "backup": b,
            "misses": b.plans_missed(),
            "restore_stale": b.restore_is_stale(now, max_age),
            "late": b.is_late(now),
        }
        for b in backups
    ]


@permission_required(VIEW)
def plan_list(request):
    """The DR dashboard: every plan with its review state, then what needs attention."""
    now = timezone.now()
    scoped, team_scope = ownership.list_scope(request, DRPlan.objects.all())
    plans = list(
        scoped.select_related("owner")
        .annotate(open_review_requests=Count("review_requests", filter=Q(review_requests__closed_at__isnull=True)))
        # Meta.ordering is not applied to a query with an aggregate.
        .order_by("name")
    )
    for plan in plans:
        plan.review = plan.review_state(now, review_remind_days())
    flags = backup_flags(Backup.objects.prefetch_related("plans"), now)
    context = {
        "team_scope": team_scope,
        "plans": plans,
        "overdue": [p for p in plans if p.review == DRPlan.ReviewState.OVERDUE],
        "flagged": [p for p in plans if p.open_review_requests],
        "stale_backups": [f for f in flags if f["misses"] or f["restore_stale"] or f["late"]],
        "upcoming": Drill.objects.filter(status=Drill.Status.SCHEDULED)
        .select_related("plan")
        .order_by("scheduled_for")[:10],
        "max_age": restore_max_age_days(),
    }
    return render(request, "dr_plans/list.html", context)


def _access_plan(pk: int) -> DRPlan:
    return get_object_or_404(DRPlan.objects.select_related("owner", "approver"), pk=pk)


@permission_required(VIEW)
def plan_detail(request, pk: int):
    plan = _access_plan(pk)
    now = timezone.now()
    steps = list(plan.steps.all())
    completed = list(plan.drills.filter(status=Drill.Status.COMPLETED).order_by("started_at"))
    context = {
        "plan": plan,
        "sections": sections(steps),
        "versions": plan.versions.all(),
        "reviews": plan.reviews.all()[:10],
        "review_requests": services.open_review_requests(plan),
        "action_items": providers.action_items_linked("target", plan),
        "review_state": plan.review_state(now, review_remind_days()),
        "backups": backup_flags(plan.backups.prefetch_related("plans"), now),
        "call_tree": plan.call_tree.prefetch_related("people"),
        "vendors": plan.vendors.select_related("stakeholder"),
        "drills": plan.drills.all()[:20],
        "chart": recovery_chart(completed, plan.rto_minutes),
        "can_approve": services.can_approve(request.user, plan),
        "can_review": services.can_review(request.user, plan),
        "approve_form": ApproveForm(),
        "review_form": ReviewForm(),
        "max_age": restore_max_age_days(),
    }
    return render(request, "dr_plans/detail.html", context)


@permission_required("dr_plans.add_drplan")
def plan_create(request):
    form = PlanForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        plan = services.do_create_plan(
            Actor.from_request(request), components=data.pop("components"), vendors=data.pop("vendors"), **data
        )
        messages.success(request, "Plan created as a draft. Add its steps.")
        return redirect(plan)
    return form_page(request, form, "New DR plan", back="dr_plans:list")


@permission_required(CHANGE, owned="dr_plans.DRPlan")
def plan_edit(request, pk: int):
    plan = _access_plan(pk)
    form = PlanForm(request.POST or None, instance=plan)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        act(request, services.do_update_plan, plan, success="Plan saved.", **data)
        return redirect(plan)
    intro = "Saving changes to an approved plan makes it a draft again; the approved version stays." * (
        plan.status == DRPlan.Status.APPROVED
    )
    return form_page(request, form, f"Edit {plan}", back=plan.get_absolute_url(), intro=intro, plan=plan)


MOVES = {
    "submit": (services.do_submit, "Submitted for review."),
    "retire": (services.do_retire, "Plan retired."),
    "reopen": (services.do_reopen, "Plan is a draft again."),
}


@require_POST
@permission_required(CHANGE, owned="dr_plans.DRPlan")
def plan_move(request, pk: int, move: str):
    if move not in MOVES:
        raise Http404("No such action")
    action, success = MOVES[move]
    plan = _access_plan(pk)
    act(request, action, plan, success=success)
    return redirect(plan)


@require_POST
@permission_required(VIEW)
def plan_approve(request, pk: int):
    """Admins, or the plan's own approver (checked by the service)."""
    plan = _access_plan(pk)
    form = ApproveForm(request.POST)
    if form.is_valid():
        version = act(request, services.do_approve, plan, note=form.cleaned_data["note"])
        if version:
            messages.success(request, f"Approved as version {version.number}.")
    return redirect(plan)


@require_POST
@permission_required(VIEW)
def plan_review(request, pk: int):
    """The owner, the approver or an admin records a review (checked by the service)."""
    plan = _access_plan(pk)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say what changed in the review, or 'no change'.")
        return redirect(plan)
    act(request, services.do_record_review, plan, form.cleaned_data["changes"], success="Review recorded.")
    return redirect(plan)


@permission_required(CHANGE, owned="dr_plans.DRPlan")
def step_edit(request, pk: int, step_id: int | None = None):
    plan = _access_plan(pk)
    step = get_object_or_404(Step, pk=step_id, plan=plan) if step_id else None
    form = StepForm(request.POST or None, instance=step)
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        if step is None and fields.get("position") is None:
            fields.pop("position", None)
        act(request, services.do_save_step, plan, step, success="Step saved.", **fields)
        return redirect(f"{plan.get_absolute_url()}#steps")
    title = f"{'Edit' if step else 'New'} step — {plan}"
    return form_page(request, form, title, back=plan.get_absolute_url(), plan=plan)


@require_POST
@permission_required(CHANGE, owned="dr_plans.DRPlan")
def step_delete(request, pk: int, step_id: int):
    step = get_object_or_404(Step, pk=step_id, plan_id=pk)
    act(request, services.do_delete_step, step, success="Step deleted.")
    return redirect(step.plan)


def _version(plan: DRPlan, number) -> PlanVersion:
    return get_object_or_404(PlanVersion, plan=plan, number=number)


@permission_required(VIEW)
def version_detail(request, pk: int, number: int):
    plan = _access_plan(pk)
    version = _version(plan, number)
    steps = version.steps
    context = {
        "plan": plan,
        "version": version,
        "sections": sections(steps, section=lambda s: s["section"]),
    }
    return render(request, "dr_plans/version.html", context)


@permission_required(VIEW)
def version_diff(request, pk: int):
    """Two versions side by side (?a=1&b=2); b may be 'draft', the plan as it stands now."""
    plan = _access_plan(pk)
    versions = list(plan.versions.all())
    if not versions:
        raise Http404("This plan has no approved version yet.")
    a_param = request.GET.get("a", "")
    b_param = request.GET.get("b", "draft")
    old = _version(plan, a_param) if a_param.isdigit() else versions[0]
    if b_param == "draft":
        new_label, new_snapshot = "Current draft", plan.snapshot()
    elif b_param.isdigit():
        new_version = _version(plan, b_param)
        new_label, new_snapshot = f"Version {new_version.number}", new_version.snapshot
    else:
        raise Http404("Unknown version")
    rows = side_by_side(export.version_markdown(old.snapshot), export.version_markdown(new_snapshot))
    context = {
        "plan": plan,
        "versions": versions,
        "old": old,
        "new_label": new_label,
        "b": b_param,
        "rows": rows,
        "changed": changed(rows),
    }
    return render(request, "dr_plans/diff.html", context)


@permission_required(VIEW)
def export_markdown(request, pk: int):
    """The latest approved version (or ?version=N) as a Markdown file, with today's contacts and backups."""
    plan = _access_plan(pk)
    number = request.GET.get("version", "")
    version = _version(plan, number) if number.isdigit() else plan.latest_version()
    if version is None:
        raise Http404("This plan has no approved version to export.")
    text = export.plan_markdown(plan, version, lambda obj, field: privacy.shown(request.user, obj, field))
    response = HttpResponse(text, content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export.filename(plan)}"'
    return response
