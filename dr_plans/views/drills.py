"""Drills: schedule, the live checklist, and the report."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from vigil.access import permission_required

from .. import services
from ..forms import DrillFinishForm, DrillForm, FindingForm, StepFinishForm
from ..models import Drill, DrillStep, DRPlan
from .common import act, form_page, sections


@permission_required("dr_plans.add_drill")
def drill_create(request, pk: int):
    plan = get_object_or_404(DRPlan, pk=pk)
    form = DrillForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        drill = act(request, services.do_schedule_drill, plan, success="Drill scheduled.", **form.cleaned_data)
        return redirect(drill or plan)
    return form_page(request, form, f"Schedule a drill — {plan}", back=plan.get_absolute_url())


def _access_drill(pk: int) -> Drill:
    return get_object_or_404(Drill.objects.select_related("plan", "version"), pk=pk)


def _drill_context(drill: Drill, **extra) -> dict:
    steps = list(drill.steps.all())
    return {
        "drill": drill,
        "sections": sections(steps),
        "steps_done": sum(1 for s in steps if s.finished_at),
        "steps_total": len(steps),
        "expected_minutes": sum(s.expected_minutes for s in steps),
        "participants": drill.participants.all(),
        "finish_form": extra.pop("finish_form", DrillFinishForm()),
        **extra,
    }


@permission_required("dr_plans.view_drill")
def drill_detail(request, pk: int):
    """The live checklist while the drill runs; before and after, what it is and how it went."""
    return render(request, "dr_plans/drill.html", _drill_context(_access_drill(pk)))


@require_POST
@permission_required("dr_plans.change_drill")
def drill_start(request, pk: int):
    drill = _access_drill(pk)
    act(request, services.do_start_drill, drill, success="Drill started: the clock is running.")
    return redirect(drill)


@require_POST
@permission_required("dr_plans.change_drill")
def drill_cancel(request, pk: int):
    drill = _access_drill(pk)
    act(request, services.do_cancel_drill, drill, success="Drill cancelled.")
    return redirect(drill)


@require_POST
@permission_required("dr_plans.change_drillstep")
def step_start(request, pk: int, step_id: int):
    step = get_object_or_404(DrillStep, pk=step_id, drill_id=pk)
    act(request, services.do_start_step, step)
    return redirect(f"{step.drill.get_absolute_url()}#step-{step.pk}")


@require_POST
@permission_required("dr_plans.change_drillstep")
def step_finish(request, pk: int, step_id: int):
    step = get_object_or_404(DrillStep, pk=step_id, drill_id=pk)
    form = StepFinishForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Notes and problems are limited to 5,000 characters.")
    else:
        act(request, services.do_finish_step, step, **form.cleaned_data)
    return redirect(f"{step.drill.get_absolute_url()}#step-{step.pk}")


@require_POST
@permission_required("dr_plans.change_drill")
def drill_finish(request, pk: int):
    drill = _access_drill(pk)
    form = DrillFinishForm(request.POST)
    if not form.is_valid():
        return render(request, "dr_plans/drill.html", _drill_context(drill, finish_form=form), status=400)
    if act(request, services.do_finish_drill, drill, success="Drill finished.", **form.cleaned_data):
        return redirect("dr_plans:drill_report", pk=drill.pk)
    return redirect(drill)


def _report_context(request, drill: Drill, finding_form: FindingForm | None = None) -> dict:
    steps = list(drill.steps.all())
    context = {
        "drill": drill,
        "steps": steps,
        "problems": [s for s in steps if s.problem],
        "expected_minutes": sum(s.expected_minutes for s in steps),
        "action_items": services.drill_action_items(drill),
    }
    if request.user.has_perm("postmortems.add_actionitem") and drill.started_at is not None:
        findings = services.unfiled_findings(drill, steps)
        context["finding_forms"] = [FindingForm.for_finding(f, n) for n, f in enumerate(findings, start=1)]
        context["finding_form"] = finding_form or FindingForm(auto_id="finding_new_%s")
    return context


@permission_required("dr_plans.view_drill")
def drill_report(request, pk: int):
    """How the drill went, and its findings: filed as action items, or waiting to be."""
    return render(request, "dr_plans/drill_report.html", _report_context(request, _access_drill(pk)))


@require_POST
@permission_required("postmortems.add_actionitem")
def file_finding(request, pk: int):
    drill = _access_drill(pk)
    form = FindingForm(request.POST, auto_id="finding_new_%s")
    if not form.is_valid():
        return render(request, "dr_plans/drill_report.html", _report_context(request, drill, form), status=400)
    act(request, services.do_file_finding, drill, success="Action item filed.", **form.cleaned_data)
    return redirect(f"{reverse('dr_plans:drill_report', args=[drill.pk])}#action-items")
