"""What a person set for their own paging beside their rules: quiet hours for low urgency, and test pages."""

from datetime import time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.utils import timezone

from incidents.models.oncall import validate_time_zone

from .paging import Urgency


class PagingPreferences(models.Model):
    """Quiet hours, in the person's own zone: a low-urgency page planned inside them waits until they end
    (comms.quiet_hours). Equal start and end, or no row: no quiet hours. High urgency ignores them."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="paging_preferences")
    quiet_start = models.TimeField(null=True, blank=True, help_text="e.g. 22:00")
    quiet_end = models.TimeField(null=True, blank=True, help_text="e.g. 07:00 (the next morning when before start)")
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])

    class Meta:
        verbose_name_plural = "paging preferences"

    def __str__(self) -> str:
        return f"{self.user}: paging preferences"

    @property
    def has_quiet_hours(self) -> bool:
        return self.quiet_start is not None and self.quiet_end is not None and self.quiet_start != self.quiet_end

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def quiet_label(self) -> str:
        if not self.has_quiet_hours:
            return "none"
        return f"{_hm(self.quiet_start)} to {_hm(self.quiet_end)} ({self.time_zone})"


def _hm(moment: time) -> str:
    return moment.strftime("%H:%M")


class TestPage(models.Model):
    """A person's "Send a test page": their chain for URGENCY run through the outbox at once, without an
    incident. Not an incidents.Page: no incident exists, so nothing escalates, no report counts it and no
    acknowledge link is made; its rows (Notification.test_page) are in the bulk lane, like a test message."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="test_pages")
    urgency = models.CharField(max_length=4, choices=Urgency.choices, default=Urgency.HIGH)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Test page to {self.user} ({self.urgency})"
