from vigil.api.routers import Router

from .views import MonitorViewSet

router = Router()
router.register("monitors", MonitorViewSet)
urlpatterns = router.urls
