from rest_framework.routers import SimpleRouter

from .views import PostMortemViewSet

router = SimpleRouter()
router.register("postmortems", PostMortemViewSet)
urlpatterns = router.urls
