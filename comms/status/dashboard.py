"""The dashboard's pages for the status page: scheduled maintenance (responders) and branding (admins)."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from comms.models import MaintenanceStatus, ScheduledMaintenance, StatusPageBranding
from comms.models.status import MAINTENANCE_TRANSITIONS
from vigil.access import permission_required
from vigil.audit import Actor, record

from . import services, setup
from .forms import BrandingForm, MaintenanceForm, MoveForm, SetupForm
from .public import page_url


@permission_required("comms.view_scheduledmaintenance")
def maintenance_list(request):
    rows = ScheduledMaintenance.objects.prefetch_related("components")
    context = {
        "running": rows.active().order_by("ends_at"),
        "upcoming": rows.upcoming().order_by("starts_at"),
        "past": rows.filter(status=MaintenanceStatus.COMPLETED)[:20],
        "page_url": page_url(),
        "now": timezone.now(),
    }
    return render(request, "status/manage/list.html", context)


@permission_required("comms.add_scheduledmaintenance")
def maintenance_new(request):
    form = MaintenanceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.do_schedule_maintenance(Actor.from_request(request), **form.values())
        except services.MaintenanceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Maintenance scheduled; the status page shows it in a moment.")
            return redirect("status:manage")
    status = 400 if request.method == "POST" else 200
    return render(request, "status/manage/form.html", {"form": form, "maintenance": None}, status=status)


@permission_required("comms.change_scheduledmaintenance")
def maintenance_edit(request, pk: int):
    maintenance = get_object_or_404(ScheduledMaintenance, pk=pk)
    form = MaintenanceForm(request.POST or None, instance=maintenance)
    if request.method == "POST" and form.is_valid():
        try:
            services.do_change_maintenance(Actor.from_request(request), maintenance, **form.values())
        except services.MaintenanceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Maintenance changed.")
            return redirect("status:manage")
    moves = [(s, MaintenanceStatus(s).label) for s in MAINTENANCE_TRANSITIONS[maintenance.status]]
    context = {"form": form, "maintenance": maintenance, "moves": moves, "move_form": MoveForm()}
    return render(request, "status/manage/form.html", context, status=400 if form.errors else 200)


@require_POST
@permission_required("comms.change_scheduledmaintenance")
def maintenance_move(request, pk: int):
    maintenance = get_object_or_404(ScheduledMaintenance, pk=pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose what the maintenance moves to.")
        return redirect("status:manage_edit", pk=pk)
    try:
        services.do_move_maintenance(
            Actor.from_request(request), maintenance, form.cleaned_data["status"], form.cleaned_data["message"]
        )
    except services.MaintenanceError as exc:
        messages.error(request, str(exc))
        return redirect("status:manage_edit", pk=pk)
    messages.success(request, f"Maintenance is now {MaintenanceStatus(form.cleaned_data['status']).label.lower()}.")
    return redirect("status:manage")


@require_POST
@permission_required("comms.delete_scheduledmaintenance")
def maintenance_cancel(request, pk: int):
    maintenance = get_object_or_404(ScheduledMaintenance, pk=pk)
    services.do_cancel_maintenance(Actor.from_request(request), maintenance)
    messages.success(request, "Maintenance withdrawn.")
    return redirect("status:manage")


@permission_required("comms.change_statuspagebranding")
def branding(request):
    current = StatusPageBranding.load()
    form = BrandingForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        _save_branding(request, form, current)
        messages.success(request, "Branding saved; the status page shows it in a moment.")
        return redirect("status:branding")
    status = 400 if form.errors else 200
    return render(request, "status/manage/branding.html", {"form": form, "page_url": page_url()}, status=status)


def _save_branding(request, form, current: StatusPageBranding) -> None:
    form.save()
    record(Actor.from_request(request), "status_page.branding", current, changed=sorted(form.changed_data))
    setup.done(request)


@require_POST
@permission_required("comms.change_statuspagebranding")
def first_setup(request):
    """The first admin's setup step (comms.status.setup): the page's name and logo, or "Not now"."""
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, require_https=request.is_secure()):
        back = reverse("dashboard")
    if "later" in request.POST:
        setup.done(request)
        messages.info(request, "The status page keeps its name for now; change it any time under Status page branding.")
        return redirect(back)
    current = StatusPageBranding.current()  # unsaved until valid: a refused post stores nothing
    form = SetupForm(request.POST, instance=current)
    if form.is_valid():
        _save_branding(request, form, current)
        done = f"The status page is now “{current.name}”; its messages say “{current.updates_label}”."
        messages.success(request, done)
        return redirect(back)
    for name in form.errors:
        if name in form.fields:
            form.fields[name].widget.attrs["aria-invalid"] = "true"
    return render(request, "status/manage/setup.html", {"form": form, "next": back}, status=400)
