"""Included under /api/v1/ by vigil/urls.py, by name."""

from vigil.api.routers import Router

from .views import ServiceKeyViewSet

router = Router()
router.register("service-keys", ServiceKeyViewSet, basename="servicekey")
urlpatterns = router.urls
