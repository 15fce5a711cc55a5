"""A DR plan's checklist on an incident, at /dr-plans/incidents/<id>/checklist/.

The incident page shows it through a hook (see the report to the lead); this page works on its own.
"""

from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from incidents.models import Incident
from vigil.access import permission_required

from .. import services
from ..forms import AttachPlanForm
from ..models import ChecklistItem
from .common import act


def checklist_context(incident: Incident) -> dict:
    """What the checklist block needs; also what the incident page's hook would render."""
    checklists = incident.dr_checklists.select_related("plan", "version").prefetch_related("items")
    return {"incident": incident, "checklists": checklists, "attach_form": AttachPlanForm()}


@permission_required("dr_plans.view_incidentchecklist")
def incident_checklist(request, incident_id: int):
    incident = get_object_or_404(Incident, pk=incident_id)
    return render(request, "dr_plans/incident_checklist.html", checklist_context(incident))


@require_POST
@permission_required("dr_plans.add_incidentchecklist")
def attach_plan(request, incident_id: int):
    incident = get_object_or_404(Incident, pk=incident_id)
    form = AttachPlanForm(request.POST)
    if not form.is_valid():
        context = {**checklist_context(incident), "attach_form": form}
        return render(request, "dr_plans/incident_checklist.html", context, status=400)
    act(request, services.do_attach_plan, incident, form.cleaned_data["plan"], success="Plan attached.")
    return redirect("dr_plans:incident_checklist", incident_id=incident.pk)


@require_POST
@permission_required("dr_plans.change_checklistitem")
def tick_item(request, incident_id: int, item_id: int):
    item = get_object_or_404(ChecklistItem, pk=item_id, checklist__incident_id=incident_id)
    act(request, services.do_tick_item, item, done=request.POST.get("done", "1") == "1")
    # The incident page's block sends next=<its own URL>, so ticking there returns there.
    after = request.POST.get("next", "")
    if after and url_has_allowed_host_and_scheme(after, {request.get_host()}, request.is_secure()):
        return redirect(after)
    return redirect("dr_plans:incident_checklist", incident_id=incident_id)
