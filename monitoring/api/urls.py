from django.urls import path

from vigil.api.routers import Router

from .agent import AssignmentsView, ResultsView
from .views import MaintenanceWindowViewSet, MonitorViewSet, RedundancyGroupViewSet

router = Router()
router.register("monitors", MonitorViewSet)
router.register("maintenance-windows", MaintenanceWindowViewSet)
router.register("redundancy-groups", RedundancyGroupViewSet)
urlpatterns = [
    path("agent/assignments", AssignmentsView.as_view(), name="agent-assignments"),
    path("agent/results", ResultsView.as_view(), name="agent-results"),
    *router.urls,
]
