"""The status page under /status/ (included by comms.status_urls), and its dashboard under /status/manage/."""

from django.urls import path, re_path

from . import dashboard, views

app_name = "status"
urlpatterns = [
    path("", views.serve, name="page"),
    path("manage/", dashboard.maintenance_list, name="manage"),
    path("manage/new/", dashboard.maintenance_new, name="manage_new"),
    path("manage/<int:pk>/", dashboard.maintenance_edit, name="manage_edit"),
    path("manage/<int:pk>/move/", dashboard.maintenance_move, name="manage_move"),
    path("manage/<int:pk>/cancel/", dashboard.maintenance_cancel, name="manage_cancel"),
    path("manage/branding/", dashboard.branding, name="branding"),
    # Everything else below /status/ is a snapshot document, or the snapshot's 404 page.
    re_path(r"^(?P<path>.+)$", views.serve, name="document"),
]
