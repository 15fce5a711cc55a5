from vigil.api.routers import Router

from .views import StakeholderGroupViewSet, StakeholderViewSet

router = Router()
router.register("stakeholders", StakeholderViewSet)
router.register("stakeholder-groups", StakeholderGroupViewSet)
urlpatterns = router.urls
