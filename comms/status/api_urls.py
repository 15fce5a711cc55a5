"""Statuspage's public API v2 at the origin's root: /api/v2/<document>.json (included by vigil.urls)."""

from django.urls import re_path

from . import views

urlpatterns = [re_path(r"^(?P<path>[\w./-]+\.json)$", views.serve_api, name="status_api")]
