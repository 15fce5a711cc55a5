from django.urls import path

from vigil.api.routers import Router

from .views import OnCallView, OverrideViewSet, PersonalFeedView, RotationViewSet, ScheduleViewSet, SwapRequestViewSet

router = Router()
router.register("schedules", ScheduleViewSet)
router.register("rotations", RotationViewSet)
router.register("overrides", OverrideViewSet)
router.register("swap-requests", SwapRequestViewSet)
urlpatterns = [
    path("oncall/", OnCallView.as_view(), name="oncall"),
    path("oncall/feed/", PersonalFeedView.as_view(), name="oncall-feed"),
    *router.urls,
]
