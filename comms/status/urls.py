"""The status page under /status/ (included by comms.status_urls), and its dashboard under /status/manage/."""

from django.urls import path, re_path

from . import dashboard, views
from .subscribers import views as subscribers

app_name = "status"
urlpatterns = [
    path("", views.serve, name="page"),
    path("manage/", dashboard.maintenance_list, name="manage"),
    path("manage/new/", dashboard.maintenance_new, name="manage_new"),
    path("manage/<int:pk>/", dashboard.maintenance_edit, name="manage_edit"),
    path("manage/<int:pk>/move/", dashboard.maintenance_move, name="manage_move"),
    path("manage/<int:pk>/cancel/", dashboard.maintenance_cancel, name="manage_cancel"),
    path("manage/branding/", dashboard.branding, name="branding"),
    path("manage/setup/", dashboard.first_setup, name="setup"),
    # Subscribing: Django views (the page's form posts here), each link signed (comms.status.subscribers.services).
    path("subscribe/", subscribers.subscribe, name="subscribe"),
    path("subscribe/confirm/<str:signed>/", subscribers.confirm, name="subscribe_confirm"),
    path("subscribe/code/<str:signed>/", subscribers.code, name="subscribe_code"),
    path("subscription/<str:signed>/", subscribers.manage, name="subscription"),
    # Everything else below /status/ is a snapshot document, or the snapshot's 404 page.
    re_path(r"^(?P<path>.+)$", views.serve, name="document"),
]
