"""Scheduled report digests: a weekly or monthly mail to chosen stakeholder groups (postmortems.digest).

Imported by postmortems.models, so Django registers the model with this app.
"""

from django.db import models
from django.utils import timezone


class ReportDigest(models.Model):
    class Frequency(models.TextChoices):
        WEEKLY = "weekly", "Weekly (Monday to Sunday, UTC)"
        MONTHLY = "monthly", "Monthly (calendar month, UTC)"

    name = models.CharField(max_length=100, unique=True)
    frequency = models.CharField(max_length=7, choices=Frequency.choices, default=Frequency.WEEKLY)
    groups = models.ManyToManyField(
        "comms.StakeholderGroup", related_name="report_digests", help_text="Every member with an email hears it."
    )
    enabled = models.BooleanField(default=True)
    # The start of the last period sent. postmortems.digest.send_digest claims a period by moving this
    # forward with a conditional UPDATE, so two workers (or a repeated task) send a period once.
    last_period_start = models.DateTimeField(null=True, blank=True, editable=False)
    last_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_frequency_display()})"
