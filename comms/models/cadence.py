"""Reminders that an open SEV1/SEV2 incident's public update is overdue."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class UpdateReminder(models.Model):
    """A reminder sent (or, with nobody to remind, logged) for one overdue period of one incident."""

    incident = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE, related_name="update_reminders")
    due_at = models.DateTimeField(help_text="When this overdue period began")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-due_at"]
        constraints = [
            # comms.cadence.remind relies on this: of two sweeps racing on one period, one inserts
            # the row (and writes the outbox rows in the same transaction), the other finds it.
            models.UniqueConstraint(fields=["incident", "due_at"], name="updatereminder_once_per_period"),
        ]

    def __str__(self) -> str:
        return f"Update reminder for incident {self.incident_id} due {self.due_at:%Y-%m-%d %H:%M}"
