"""What this app adds when the incidents app announces something (connected in PostmortemsConfig.ready)."""

from django.template.loader import render_to_string

from .models import PostMortem


def incident_page_panel(sender, incident, request, **kwargs) -> str:
    """The incident page's post-mortem block: a link to it, or the button that drafts it."""
    if not request.user.has_perm("postmortems.view_postmortem"):
        return ""
    postmortem = PostMortem.objects.filter(incident=incident).first()
    context = {"incident": incident, "postmortem": postmortem}
    return render_to_string("postmortems/_incident_panel.html", context, request=request)
