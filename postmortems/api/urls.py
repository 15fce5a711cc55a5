from django.urls import path

from vigil.api.routers import Router

from .reports import ReportTableView, ReportView
from .views import ActionItemViewSet, PostMortemViewSet

router = Router()
router.register("postmortems", PostMortemViewSet)
router.register("action-items", ActionItemViewSet)
urlpatterns = [
    path("reports/", ReportView.as_view(), name="reports"),
    path("reports/<str:table>/", ReportTableView.as_view(), name="report-table"),
    *router.urls,
]
