from django.core.paginator import Paginator
from django.shortcuts import render

from incidents.models import Component, Incident
from vigil.access import permission_required

from .models import Stakeholder, StakeholderGroup


@permission_required("comms.view_stakeholder")
def stakeholder_list(request):
    page = Paginator(Stakeholder.objects.prefetch_related("groups"), 100).get_page(request.GET.get("page"))
    return render(request, "comms/stakeholders.html", {"page": page, "groups": StakeholderGroup.objects.all()})


def status_page(request):
    """The public status page: public components and open incidents, nothing internal.

    A first, live-query version; the status-page issue serves it from a snapshot.
    """
    components = Component.objects.filter(public=True)
    incidents = Incident.objects.open().filter(components__public=True).distinct()
    worst = max((c.status != "operational" for c in components), default=False)
    return render(
        request, "comms/status_page.html", {"components": components, "incidents": incidents, "degraded": worst}
    )
