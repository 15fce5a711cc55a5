from django.core.paginator import Paginator
from django.shortcuts import render

from vigil.access import permission_required

from .models import Monitor


@permission_required("monitoring.view_monitor")
def monitor_list(request):
    page = Paginator(Monitor.objects.select_related("component"), 100).get_page(request.GET.get("page"))
    return render(request, "monitoring/list.html", {"page": page})
