from vigil.api.routers import Router

from .views import BrandViewSet, MentionSourceViewSet, MentionSpikeViewSet, MentionViewSet

router = Router()
router.register("mentions", MentionViewSet)
router.register("mention-sources", MentionSourceViewSet)
router.register("mention-brands", BrandViewSet)
router.register("mention-spikes", MentionSpikeViewSet)
urlpatterns = router.urls
