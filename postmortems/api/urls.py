from vigil.api.routers import Router

from .views import ActionItemViewSet, PostMortemViewSet

router = Router()
router.register("postmortems", PostMortemViewSet)
router.register("action-items", ActionItemViewSet)
urlpatterns = router.urls
