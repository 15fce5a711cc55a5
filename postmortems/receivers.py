"""What this app adds when the incidents app announces something, and answers the apps beside it
through incidents.providers (connected and registered in PostmortemsConfig.ready)."""

from django.template.loader import render_to_string

from .models import ActionItem, PostMortem


def incident_page_panel(sender, incident, request, **kwargs) -> str:
    """The incident page's post-mortem block: a link to it, or the button that drafts it."""
    if not request.user.has_perm("postmortems.view_postmortem"):
        return ""
    postmortem = PostMortem.objects.filter(incident=incident).first()
    context = {"incident": incident, "postmortem": postmortem}
    return render_to_string("postmortems/_incident_panel.html", context, request=request)


def action_items_linked(role: str, obj) -> list[ActionItem]:
    """incidents.providers.action_items_linked: the items whose ROLE is OBJ (a drill's, a plan's)."""
    return list(ActionItem.objects.linked_to(role, obj).select_related("owner").prefetch_related("target"))


def action_item_choices() -> dict:
    """incidents.providers.action_item_choices: a finding is filed as a mitigation of medium priority."""
    return {
        "kind": (ActionItem.Kind.choices, ActionItem.Kind.MITIGATE),
        "priority": (ActionItem.Priority.choices, ActionItem.Priority.MEDIUM),
    }
