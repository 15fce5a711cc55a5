"""/status/: the public status page, served from its snapshot (comms.status), and /status/manage/."""

from django.urls import include, path

from .status import views as status_views

urlpatterns = [
    path("", include("comms.status.urls")),
    # The name the dashboard and messages link by; the include above answers the request first.
    path("", status_views.serve, name="status_page"),
]
