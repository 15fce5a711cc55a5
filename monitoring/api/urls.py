from vigil.api.routers import Router

from .views import MaintenanceWindowViewSet, MonitorViewSet

router = Router()
router.register("monitors", MonitorViewSet)
router.register("maintenance-windows", MaintenanceWindowViewSet)
urlpatterns = router.urls
