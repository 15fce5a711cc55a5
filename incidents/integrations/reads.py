"""Reads of alerts and integrations that include the repeats still buffered in Redis.

A repeat counted in Redis reaches its alert row at the next flush (buffer.py). Pages and API
reads that show counts or last-received times read through here, which flushes first, so views
never touch the buffer themselves.
"""

from django.db.models import Count, Q, QuerySet
from rest_framework.permissions import SAFE_METHODS

from incidents.models import Alert, Integration

from .buffer import flush_repeats

RECENT_ALERTS = 50


def fresh_alerts() -> None:
    """Add buffered repeats to their rows before a read. It does not queue behind a flush already
    running (that one is adding them)."""
    flush_repeats(wait=False)


def integrations() -> QuerySet[Integration]:
    """Every integration, with its count of firing alerts (`firing`)."""
    fresh_alerts()
    return Integration.objects.annotate(firing=Count("alerts", filter=Q(alerts__status=Alert.Status.FIRING))).order_by(
        "name", "pk"
    )


def alerts_of(integration: Integration) -> dict:
    """An integration page's alerts: the most recent (`alerts`) and how many are firing (`firing`)."""
    fresh_alerts()
    return {
        "alerts": integration.alerts.select_related("incident").order_by("-last_received_at", "-pk")[:RECENT_ALERTS],
        "firing": integration.alerts.filter(status=Alert.Status.FIRING).count(),
    }


class FreshAlertsMixin:
    """For API viewsets: reads include the repeats buffered in Redis, their counts and last-received times."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method in SAFE_METHODS:
            fresh_alerts()
