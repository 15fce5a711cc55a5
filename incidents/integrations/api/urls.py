from vigil.api.routers import Router

from .views import AlertViewSet, IntegrationViewSet

router = Router()
router.register("integrations", IntegrationViewSet)
router.register("alerts", AlertViewSet)
urlpatterns = router.urls
