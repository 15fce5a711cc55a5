from vigil.api.routers import Router

from .views import DRPlanViewSet

router = Router()
router.register("dr-plans", DRPlanViewSet)
urlpatterns = router.urls
