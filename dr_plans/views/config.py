"""Backups inventory and a plan's contacts: configuration an admin keeps."""

from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from vigil.access import permission_required
from vigil.audit import Actor

from .. import services
from ..forms import BackupForm, CallTreeLevelForm, VendorForm
from ..models import Backup, CallTreeLevel, DRPlan
from ..services.common import restore_max_age_days
from .common import form_page
from .plans import backup_flags


@permission_required("dr_plans.view_backup")
def backup_list(request):
    backups = backup_flags(Backup.objects.prefetch_related("plans"), timezone.now())
    return render(request, "dr_plans/backups.html", {"backups": backups, "max_age": restore_max_age_days()})


def _save(request, form, title: str, back: str, done: str, **fixed):
    if request.method == "POST" and form.is_valid():
        services.do_save_config(Actor.from_request(request), form, **fixed)
        return redirect(done)
    return form_page(request, form, title, back=back, plan=fixed.get("plan"))


@permission_required("dr_plans.add_backup")
def backup_create(request):
    form = BackupForm(request.POST or None, initial={"plans": request.GET.getlist("plan")})
    return _save(request, form, "New backup", "dr_plans:backups", "dr_plans:backups")


@permission_required("dr_plans.change_backup")
def backup_edit(request, pk: int):
    form = BackupForm(request.POST or None, instance=get_object_or_404(Backup, pk=pk))
    return _save(request, form, "Edit backup", "dr_plans:backups", "dr_plans:backups")


@permission_required("dr_plans.change_drplan", owned="dr_plans.DRPlan")
def level_create(request, pk: int):
    plan = get_object_or_404(DRPlan, pk=pk)
    form = CallTreeLevelForm(request.POST or None, initial={"position": plan.call_tree.count()})
    back = f"{plan.get_absolute_url()}#contacts"
    return _save(request, form, f"New call-tree level — {plan}", back, back, plan=plan)


@require_POST
@permission_required("dr_plans.change_drplan", owned="dr_plans.DRPlan")
def level_delete(request, pk: int, level_id: int):
    level = get_object_or_404(CallTreeLevel, pk=level_id, plan_id=pk)
    services.do_delete_config(Actor.from_request(request), level)
    return redirect(f"{level.plan.get_absolute_url()}#contacts")


@permission_required("dr_plans.add_vendor")
def vendor_create(request, pk: int):
    """A vendor is a comms stakeholder with its account, SLA and escalation path; it joins this plan."""
    plan = get_object_or_404(DRPlan, pk=pk)
    form = VendorForm(request.POST or None)
    back = f"{plan.get_absolute_url()}#contacts"
    if request.method == "POST" and form.is_valid():
        services.do_add_vendor(Actor.from_request(request), plan, form)
        return redirect(back)
    return form_page(request, form, f"New vendor — {plan}", back=back)
