"""How each responder wants to be paged: a phone number and notification rules."""

from django.conf import settings
from django.db import models

from comms.phones import validate_e164

from .stakeholders import Medium


class PageMedium(models.TextChoices):
    """How a responder may be paged: a stakeholder's media (Medium) and a Slack DM.

    Its own list, not Medium's: Medium is also what a stakeholder is reached by (their form, the API,
    the fan-out), and a stakeholder has no Slack identity. "slack_dm", not "slack": an outbox row's
    medium "slack" is already a Slack incoming-webhook endpoint's (Endpoint.Kind.SLACK).
    """

    EMAIL = Medium.EMAIL.value, Medium.EMAIL.label
    SMS = Medium.SMS.value, Medium.SMS.label
    VOICE = Medium.VOICE.value, Medium.VOICE.label
    SLACK_DM = "slack_dm", "Slack DM"
    NTFY = "ntfy", "ntfy"
    APPRISE = "apprise", "Apprise (Telegram, Discord, Matrix, Pushover, ...)"
    # One outbox row per subscribed device (comms.push.planning).
    PUSH = "push", "Push to my devices"


class Urgency(models.TextChoices):
    """Which of a person's two rule sets a page follows: its incident's severity decides
    (settings.VIGIL_HIGH_URGENCY_SEVERITIES; comms.urgency)."""

    HIGH = "high", "High urgency"
    LOW = "low", "Low urgency"


class Contact(models.Model):
    """A responder's phone, for pages by SMS and voice (their email is on the user)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="contact")
    phone = models.CharField(max_length=20, blank=True, validators=[validate_e164], help_text="E.164")
    # Set when the person texts STOP (comms.services.do_sms_opt_out): Twilio refuses SMS to them until START.
    sms_opted_out = models.BooleanField(default=False, help_text="Texted STOP: pages skip SMS until START.")

    def __str__(self) -> str:
        return f"{self.user}: {self.phone or 'no phone'}"


class NotificationRule(models.Model):
    """Page me by MEDIUM, DELAY minutes after a page of URGENCY (unless acknowledged by then).

    A person's rules of one urgency, in order of delay, are their chain for such pages (comms.urgency).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_rules")
    urgency = models.CharField(max_length=4, choices=Urgency.choices, default=Urgency.HIGH)
    medium = models.CharField(max_length=10, choices=PageMedium.choices)
    delay_minutes = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["user", "urgency", "delay_minutes", "medium"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "urgency", "medium"], name="notification_rule_once_per_urgency_medium"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.get_medium_display()} after {self.delay_minutes} min ({self.urgency})"
