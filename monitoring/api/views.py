from rest_framework import viewsets

from monitoring.models import Monitor

from .serializers import MonitorSerializer


class MonitorViewSet(viewsets.ModelViewSet):
    queryset = Monitor.objects.select_related("component")
    serializer_class = MonitorSerializer
