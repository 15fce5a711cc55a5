"""Components customers see, incidents, and each incident's timeline."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone


class ComponentStatus(models.TextChoices):
    # Statuspage's values, so the public JSON can use them unchanged.
    OPERATIONAL = "operational", "Operational"
    DEGRADED = "degraded_performance", "Degraded performance"
    PARTIAL_OUTAGE = "partial_outage", "Partial outage"
    MAJOR_OUTAGE = "major_outage", "Major outage"
    MAINTENANCE = "under_maintenance", "Under maintenance"


class Component(models.Model):
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    group = models.CharField(max_length=100, blank=True, help_text="Components with the same group are shown together.")
    position = models.PositiveIntegerField(default=0)
    public = models.BooleanField(default=True, help_text="Shown on the public status page.")
    status = models.CharField(max_length=24, choices=ComponentStatus.choices, default=ComponentStatus.OPERATIONAL)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["group", "position", "name"]

    def __str__(self) -> str:
        return self.name


class Severity(models.TextChoices):
    SEV1 = "sev1", "SEV1 — critical"
    SEV2 = "sev2", "SEV2 — major"
    SEV3 = "sev3", "SEV3 — minor"
    SEV4 = "sev4", "SEV4 — low"


class Status(models.TextChoices):
    TRIGGERED = "triggered", "Triggered"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    INVESTIGATING = "investigating", "Investigating"
    IDENTIFIED = "identified", "Identified"
    MONITORING = "monitoring", "Monitoring"
    RESOLVED = "resolved", "Resolved"


# The one table of allowed moves, checked by incidents.services before any change.
TRANSITIONS: dict[str, set[str]] = {
    Status.TRIGGERED: {
        Status.ACKNOWLEDGED,
        Status.INVESTIGATING,
        Status.IDENTIFIED,
        Status.MONITORING,
        Status.RESOLVED,
    },
    Status.ACKNOWLEDGED: {Status.INVESTIGATING, Status.IDENTIFIED, Status.MONITORING, Status.RESOLVED},
    Status.INVESTIGATING: {Status.IDENTIFIED, Status.MONITORING, Status.RESOLVED},
    Status.IDENTIFIED: {Status.INVESTIGATING, Status.MONITORING, Status.RESOLVED},
    Status.MONITORING: {Status.INVESTIGATING, Status.IDENTIFIED, Status.RESOLVED},
    Status.RESOLVED: {Status.INVESTIGATING},  # reopen
}


class Impact(models.TextChoices):
    NONE = "none", "None"
    MINOR = "minor", "Minor"
    MAJOR = "major", "Major"
    CRITICAL = "critical", "Critical"


class Source(models.TextChoices):
    MANUAL = "manual", "Manual"
    MONITOR = "monitor", "Monitor"
    ALERT = "alert", "Alert"
    REPUTATION = "reputation", "Reputation"


class IncidentQuerySet(models.QuerySet):
    def open(self):
        return self.exclude(status=Status.RESOLVED)

    def by_urgency(self):
        """Open before resolved, then by severity, newest first."""
        resolved_last = models.Case(models.When(status=Status.RESOLVED, then=1), default=0)
        return self.order_by(resolved_last, "severity", "-started_at")


class Incident(models.Model):
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    severity = models.CharField(max_length=4, choices=Severity.choices, default=Severity.SEV3)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.TRIGGERED, db_index=True)
    impact = models.CharField(max_length=8, choices=Impact.choices, default=Impact.MINOR)
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.MANUAL)
    dedup_key = models.CharField(max_length=200, blank=True, help_text="Signals with the same key join this incident.")
    components = models.ManyToManyField(Component, blank=True, related_name="incidents")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            # One open incident per dedup key. incidents.services.do_declare relies on
            # this to make two identical signals arriving together open one incident.
            models.UniqueConstraint(
                fields=["dedup_key"],
                condition=~Q(status="resolved") & ~Q(dedup_key=""),
                name="incident_one_open_per_dedup_key",
            ),
        ]
        indexes = [models.Index(fields=["status", "severity", "-started_at"], name="incident_list_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("incidents:detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status != Status.RESOLVED

    def can_move_to(self, status: str) -> bool:
        return status in TRANSITIONS[self.status]

    @property
    def time_to_acknowledge(self):
        """MTTA's term for this incident: derived, never typed in."""
        return self.acknowledged_at - self.started_at if self.acknowledged_at else None

    @property
    def time_to_resolve(self):
        return self.resolved_at - self.started_at if self.resolved_at else None

    def duration(self, now=None):
        return (self.resolved_at or now or timezone.now()) - self.started_at


class IncidentEvent(models.Model):
    """One timeline row. Written by the action that made the change, never by a view."""

    class Kind(models.TextChoices):
        DECLARED = "declared", "Declared"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        STATUS = "status", "Status changed"
        SEVERITY = "severity", "Severity changed"
        NOTE = "note", "Note"
        RESOLVED = "resolved", "Resolved"
        REOPENED = "reopened", "Reopened"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    message = models.TextField(blank=True)
    public = models.BooleanField(default=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["incident", "created_at"], name="incident_event_timeline_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.message[:60]}"
