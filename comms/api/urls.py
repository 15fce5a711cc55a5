from rest_framework.routers import SimpleRouter

from .views import StakeholderGroupViewSet, StakeholderViewSet

router = SimpleRouter()
router.register("stakeholders", StakeholderViewSet)
router.register("stakeholder-groups", StakeholderGroupViewSet)
urlpatterns = router.urls
