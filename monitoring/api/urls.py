from monitoring.reputation.api import urls as reputation_urls
from vigil.api.routers import Router

from .views import MaintenanceWindowViewSet, MonitorViewSet

router = Router()
router.register("monitors", MonitorViewSet)
router.register("maintenance-windows", MaintenanceWindowViewSet)
urlpatterns = router.urls + reputation_urls.urlpatterns
