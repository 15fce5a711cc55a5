"""Opsgenie's Alert API v2 paths (opsgenie_views.py). vigil/urls.py includes them twice: at the root,
so a sender changes only the host (Alertmanager's `api_url: https://vigil.example.com/`), and under
/integrations/opsgenie/. The identifier is an alias (opsgenie.identified), not a secret."""

from django.urls import path

from . import opsgenie_views as views

urlpatterns = [
    path("v2/alerts", views.create_alert, name="create"),
    path("v2/alerts/<path:identifier>/close", views.close_alert, name="close"),
    path("v2/alerts/<path:identifier>/acknowledge", views.acknowledge_alert, name="acknowledge"),
    path("v2/alerts/<path:identifier>/notes", views.add_note, name="notes"),
]
