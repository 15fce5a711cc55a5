from vigil.api.routers import Router

from .views import (
    ComponentGroupViewSet,
    ComponentViewSet,
    EscalationPolicyViewSet,
    IncidentViewSet,
    PageViewSet,
    SeverityDefinitionViewSet,
)

router = Router()
router.register("incidents", IncidentViewSet)
router.register("components", ComponentViewSet)
router.register("component-groups", ComponentGroupViewSet)
router.register("severities", SeverityDefinitionViewSet)
router.register("escalation-policies", EscalationPolicyViewSet)
router.register("pages", PageViewSet)
urlpatterns = router.urls
