"""Escalation policies and the pages they send."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone

from .incidents import Status as IncidentStatus


class EscalationPolicy(models.Model):
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    team = models.ForeignKey(
        "incidents.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="policies"
    )
    repeat = models.PositiveIntegerField(
        default=0, help_text="Times to run through all levels again if nobody acknowledges."
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "escalation policies"

    def __str__(self) -> str:
        return self.name


class EscalationLevel(models.Model):
    policy = models.ForeignKey(EscalationPolicy, on_delete=models.CASCADE, related_name="levels")
    position = models.PositiveIntegerField(default=0)
    timeout_minutes = models.PositiveIntegerField(default=15, validators=[MinValueValidator(1)])
    users = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    schedules = models.ManyToManyField("incidents.Schedule", blank=True, related_name="+")

    class Meta:
        ordering = ["policy", "position", "id"]

    def __str__(self) -> str:
        return f"{self.policy} level {self.position + 1}"


class Page(models.Model):
    """A person paged about an incident. The comms issue's channels deliver it; until then it is shown in the UI."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        FAILED = "failed", "Failed"

    incident = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE, related_name="pages")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pages")
    escalation_id = models.UUIDField(null=True, blank=True)
    step = models.PositiveIntegerField(default=0)
    level = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # The page's signed acknowledge link (or its SMS ACK code, or its voice call's key 1) is good for one
    # acknowledgement: incidents.paging_actions.do_acknowledge_by_link writes when and by which way it was used.
    link_used_at = models.DateTimeField(null=True, blank=True)
    link_used_via = models.CharField(max_length=10, blank=True, help_text="link, sms or voice")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # A retried escalation task never pages the same person twice for one step.
            models.UniqueConstraint(fields=["incident", "user", "escalation_id", "step"], name="page_once_per_step"),
        ]

    def __str__(self) -> str:
        return f"Page {self.user} about {self.incident}"

    @property
    def answered(self) -> bool:
        """Acknowledged, or its incident moved on: nothing more goes out for it (comms.outbox drops its
        rows not yet sent, comms.failover tries no next provider for it)."""
        return self.status == self.Status.ACKNOWLEDGED or self.incident.status != IncidentStatus.TRIGGERED
