from rest_framework import viewsets

from comms.models import Stakeholder, StakeholderGroup

from .serializers import StakeholderGroupSerializer, StakeholderSerializer


class StakeholderGroupViewSet(viewsets.ModelViewSet):
    queryset = StakeholderGroup.objects.all()
    serializer_class = StakeholderGroupSerializer


class StakeholderViewSet(viewsets.ModelViewSet):
    queryset = Stakeholder.objects.prefetch_related("groups")
    serializer_class = StakeholderSerializer
