"""Change events: what changed in a system (a deploy, a config push), sent by a tool through an integration.

They open nothing and page nobody; the incident page shows the recent ones of its components'
integrations (incidents.integrations.changes), as PagerDuty's change events do.
"""

from django.db import models
from django.utils import timezone


class ChangeEvent(models.Model):
    integration = models.ForeignKey("incidents.Integration", on_delete=models.CASCADE, related_name="change_events")
    summary = models.CharField(max_length=1024)
    source = models.CharField(max_length=255, blank=True)
    timestamp = models.DateTimeField(default=timezone.now)
    custom_details = models.JSONField(default=dict, blank=True)
    links = models.JSONField(default=list, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-timestamp"]
        # The incident page's Recent changes reads by integration and time (changes.recent_changes).
        # The hourly purge deletes by received_at (changes.purge).
        indexes = [
            models.Index(fields=["integration", "timestamp"], name="changeevent_integration_time"),
            models.Index(fields=["received_at"], name="changeevent_received_at"),
        ]

    def __str__(self) -> str:
        return self.summary
