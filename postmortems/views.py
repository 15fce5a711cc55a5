from django.shortcuts import render

from vigil.access import permission_required

from .models import PostMortem
from .reports import incident_figures


@permission_required("postmortems.view_postmortem")
def postmortem_list(request):
    return render(request, "postmortems/list.html", {"postmortems": PostMortem.objects.select_related("incident")})


@permission_required("incidents.view_incident")
def reports(request):
    return render(request, "postmortems/reports.html", {"figures": incident_figures()})
