from vigil.api.routers import Router

from .views import MaintenanceWindowViewSet, MonitorViewSet, RedundancyGroupViewSet

router = Router()
router.register("monitors", MonitorViewSet)
router.register("maintenance-windows", MaintenanceWindowViewSet)
router.register("redundancy-groups", RedundancyGroupViewSet)
urlpatterns = router.urls
