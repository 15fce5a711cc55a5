from vigil.api.routers import Router

from .views import PostMortemViewSet

router = Router()
router.register("postmortems", PostMortemViewSet)
urlpatterns = router.urls
