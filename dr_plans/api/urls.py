from vigil.api.routers import Router

from .views import BackupViewSet, DrillStepViewSet, DrillViewSet, DRPlanViewSet, PlanVersionViewSet, StepViewSet

router = Router()
router.register("dr-plans", DRPlanViewSet)
router.register("dr-plan-versions", PlanVersionViewSet)
router.register("dr-plan-steps", StepViewSet)
router.register("dr-backups", BackupViewSet)
router.register("dr-drills", DrillViewSet)
router.register("dr-drill-steps", DrillStepViewSet)
urlpatterns = router.urls
