"""Message templates an admin customised: one row per (event, part). No row: the built-in default
(comms.templating.DEFAULTS) is used."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class Event(models.TextChoices):
    """What a message is about."""

    OPENED = "opened", "Incident opened"
    UPDATE = "update", "Update posted"
    RESOLVED = "resolved", "Incident resolved"
    MAINTENANCE = "maintenance", "Maintenance scheduled"
    PAGE = "page", "Page"


class Part(models.TextChoices):
    """Which text of a message: the email's subject and body, or the text of one medium or endpoint kind."""

    SUBJECT = "subject", "Email subject"
    EMAIL = "email", "Email body"
    SMS = "sms", "SMS"
    VOICE = "voice", "Voice call"
    SLACK = "slack", "Slack"
    MASTODON = "mastodon", "Mastodon"
    WEBHOOK = "webhook", "Webhook text"


class MessageTemplate(models.Model):
    event = models.CharField(max_length=12, choices=Event.choices)
    part = models.CharField(max_length=10, choices=Part.choices)
    body = models.TextField()
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["event", "part"]
        constraints = [
            # comms.services.do_save_templates writes with update_or_create on (event, part).
            models.UniqueConstraint(fields=["event", "part"], name="messagetemplate_once_per_event_part"),
        ]

    def __str__(self) -> str:
        return f"{self.get_event_display()}: {self.get_part_display()}"
