"""What this app does when the incidents app announces something."""

from django.template.loader import render_to_string

from .views.checklists import checklist_context


def incident_page_panel(sender, incident, request, **kwargs) -> str:
    """The DR checklist block for the incident page (incidents.signals.incident_page_panels).

    Ticking a step there returns to the incident page (next=).
    """
    if not request.user.has_perm("dr_plans.view_incidentchecklist"):
        return ""
    context = {**checklist_context(incident), "next": request.get_full_path(), "with_styles": True}
    return render_to_string("dr_plans/_incident_checklist.html", context, request=request)
