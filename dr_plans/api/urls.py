from rest_framework.routers import SimpleRouter

from .views import DRPlanViewSet

router = SimpleRouter()
router.register("dr-plans", DRPlanViewSet)
urlpatterns = router.urls
