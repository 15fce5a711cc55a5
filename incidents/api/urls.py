from vigil.api.routers import Router

from .views import ComponentViewSet, IncidentViewSet

router = Router()
router.register("incidents", IncidentViewSet)
router.register("components", ComponentViewSet)
urlpatterns = router.urls
