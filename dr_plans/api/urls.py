from vigil.api.routers import Router

from .views import (
    BackupViewSet,
    CallTreeLevelViewSet,
    DrillStepViewSet,
    DrillViewSet,
    DRPlanViewSet,
    PlanVersionViewSet,
    StepViewSet,
    VendorViewSet,
)

router = Router()
router.register("dr-plans", DRPlanViewSet)
router.register("dr-plan-versions", PlanVersionViewSet)
router.register("dr-plan-steps", StepViewSet)
router.register("dr-backups", BackupViewSet)
router.register("dr-call-tree-levels", CallTreeLevelViewSet)
router.register("dr-vendors", VendorViewSet)
router.register("dr-drills", DrillViewSet)
router.register("dr-drill-steps", DrillStepViewSet)
urlpatterns = router.urls
