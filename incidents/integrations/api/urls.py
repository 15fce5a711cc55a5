from vigil.api.routers import Router

from .views import AlertViewSet, ChangeEventViewSet, IntegrationViewSet

router = Router()
router.register("integrations", IntegrationViewSet)
router.register("alerts", AlertViewSet)
router.register("changes", ChangeEventViewSet)
urlpatterns = router.urls
