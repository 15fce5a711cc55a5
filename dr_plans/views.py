from django.shortcuts import render

from vigil.access import permission_required

from .models import DRPlan


@permission_required("dr_plans.view_drplan")
def plan_list(request):
    return render(request, "dr_plans/list.html", {"plans": DRPlan.objects.select_related("owner")})
