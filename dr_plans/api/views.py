from rest_framework import viewsets

from dr_plans.models import DRPlan

from .serializers import DRPlanSerializer


class DRPlanViewSet(viewsets.ModelViewSet):
    queryset = DRPlan.objects.prefetch_related("components")
    serializer_class = DRPlanSerializer
