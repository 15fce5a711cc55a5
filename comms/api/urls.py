from vigil.api.routers import Router

from .views import (
    EndpointViewSet,
    IncidentAudienceViewSet,
    NotificationViewSet,
    StakeholderGroupViewSet,
    StakeholderViewSet,
)

router = Router()
router.register("stakeholders", StakeholderViewSet)
router.register("stakeholder-groups", StakeholderGroupViewSet)
router.register("comms-endpoints", EndpointViewSet)
router.register("incident-audiences", IncidentAudienceViewSet)
router.register("notifications", NotificationViewSet)
urlpatterns = router.urls
