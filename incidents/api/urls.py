from rest_framework.routers import SimpleRouter

from .views import ComponentViewSet, IncidentViewSet

router = SimpleRouter()
router.register("incidents", IncidentViewSet)
router.register("components", ComponentViewSet)
urlpatterns = router.urls
