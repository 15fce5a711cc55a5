"""PagerDuty's Events API v2 paths, included at the site's root (/v2/...: a sender swaps only the
host) and under /integrations/pagerduty/ (vigil/urls.py, incidents/integrations/urls.py)."""

from django.urls import path

from . import pagerduty_views

urlpatterns = [
    path("v2/enqueue", pagerduty_views.enqueue, name="enqueue"),
    path("v2/change/enqueue", pagerduty_views.change_enqueue, name="change_enqueue"),
]
