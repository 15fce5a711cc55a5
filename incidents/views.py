from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from vigil.access import login_required, permission_required
from vigil.audit import Actor
from vigil.services import worker_status

from . import services
from .forms import DeclareForm, NoteForm
from .models import Component, Incident, Status


@permission_required("incidents.view_incident")
def incident_list(request):
    incidents = Incident.objects.by_urgency().prefetch_related("components")
    status = request.GET.get("status", "open")
    if status == "open":
        incidents = incidents.exclude(status=Status.RESOLVED)
    elif status in Status.values:
        incidents = incidents.filter(status=status)
    page = Paginator(incidents, 50).get_page(request.GET.get("page"))
    return render(request, "incidents/list.html", {"page": page, "status": status, "statuses": Status.choices})


def _access_incident(request, pk: int) -> Incident:
    return get_object_or_404(Incident.objects.select_related("acknowledged_by", "created_by"), pk=pk)


@permission_required("incidents.view_incident")
def incident_detail(request, pk: int):
    incident = _access_incident(request, pk)
    return render(
        request,
        "incidents/detail.html",
        {"incident": incident, "events": incident.events.select_related("actor"), "note_form": NoteForm()},
    )


@permission_required("incidents.add_incident")
def declare(request):
    form = DeclareForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        incident, _ = services.do_declare(Actor.from_request(request), **form.cleaned_data)
        messages.success(request, f"Declared {incident}.")
        return redirect(incident)
    return render(request, "incidents/declare.html", {"form": form})


def _act(request, pk: int, action, success: str, **kwargs):
    incident = _access_incident(request, pk)
    try:
        action(Actor.from_request(request), incident, **kwargs)
        messages.success(request, success)
    except services.ActionError as exc:
        messages.error(request, str(exc))
    return redirect(incident)


@require_POST
@permission_required("incidents.change_incident")
def acknowledge(request, pk: int):
    return _act(request, pk, services.do_acknowledge, "Acknowledged.")


@require_POST
@permission_required("incidents.change_incident")
def resolve(request, pk: int):
    return _act(request, pk, services.do_resolve, "Resolved.")


@require_POST
@permission_required("incidents.add_incidentevent")
def add_note(request, pk: int):
    form = NoteForm(request.POST)
    if not form.is_valid():
        incident = _access_incident(request, pk)
        return render(
            request,
            "incidents/detail.html",
            {"incident": incident, "events": incident.events.all(), "note_form": form},
            status=400,
        )
    return _act(request, pk, services.do_add_note, "Note added.", message=form.cleaned_data["message"])


@permission_required("incidents.view_component")
def component_list(request):
    return render(request, "incidents/components.html", {"components": Component.objects.all()})


@login_required
def dashboard(request):
    """Home: what is open now, and whether Vigil's own workers are alive."""
    can_see = request.user.has_perm("incidents.view_incident")
    context = {
        "open_incidents": Incident.objects.open().by_urgency()[:10] if can_see else None,
        "components": Component.objects.exclude(status="operational") if can_see else None,
        "workers": worker_status(),
    }
    return render(request, "incidents/dashboard.html", context)
