"""Incidents, their affected components, timeline and public updates."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from .components import STATUS_SEVERITY, Component, ComponentStatus


class Severity(models.TextChoices):
    SEV1 = "sev1", "SEV1"
    SEV2 = "sev2", "SEV2"
    SEV3 = "sev3", "SEV3"
    SEV4 = "sev4", "SEV4"


class SeverityDefinition(models.Model):
    """What each severity means here, shown when declaring. Editable by admins."""

    level = models.CharField(max_length=4, choices=Severity.choices, unique=True)
    name = models.CharField(max_length=50)
    description = models.TextField()
    # Who an incident of this severity pages when its declarer names no policy (incidents.escalation.
    # default_policy): a SEV1 declared in a hurry must page someone. A component's own default wins.
    escalation_policy = models.ForeignKey(
        "incidents.EscalationPolicy",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="default escalation policy",
        help_text="Paged when an incident of this severity is declared without choosing a policy.",
    )

    class Meta:
        ordering = ["level"]

    def __str__(self) -> str:
        return f"{self.get_level_display()} — {self.name}"


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


class PublicStatus(models.TextChoices):
    """Statuspage's incident statuses: what customers see."""

    INVESTIGATING = "investigating", "Investigating"
    IDENTIFIED = "identified", "Identified"
    MONITORING = "monitoring", "Monitoring"
    RESOLVED = "resolved", "Resolved"


PUBLIC_STATUS = {
    Status.TRIGGERED: PublicStatus.INVESTIGATING,
    Status.ACKNOWLEDGED: PublicStatus.INVESTIGATING,
    Status.INVESTIGATING: PublicStatus.INVESTIGATING,
    Status.IDENTIFIED: PublicStatus.IDENTIFIED,
    Status.MONITORING: PublicStatus.MONITORING,
    Status.RESOLVED: PublicStatus.RESOLVED,
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
        return self.order_by(resolved_last, "severity", "-started_at", "-id")


class Incident(models.Model):
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    severity = models.CharField(max_length=4, choices=Severity.choices, default=Severity.SEV3)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.TRIGGERED, db_index=True)
    impact = models.CharField(max_length=8, choices=Impact.choices, default=Impact.MINOR)
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.MANUAL)
    dedup_key = models.CharField(max_length=200, blank=True, help_text="Signals with the same key join this incident.")
    components = models.ManyToManyField(Component, blank=True, through="IncidentComponent", related_name="incidents")

    # Roles
    commander = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    comms_lead = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    scribe = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    # War room
    bridge_url = models.URLField(blank=True, help_text="Conference bridge for responders.")
    chat_url = models.URLField(blank=True, help_text="Chat channel for responders.")

    # Merging: a duplicate points at the incident it was merged into.
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates")

    # Escalation: the policy is copied into escalation_snapshot when escalation starts,
    # so later edits to the policy do not change a page in progress. escalation_id
    # changes every time escalation (re)starts or stops; a task carrying an older id exits.
    escalation_policy = models.ForeignKey(
        "incidents.EscalationPolicy", null=True, blank=True, on_delete=models.SET_NULL, related_name="incidents"
    )
    escalation_snapshot = models.JSONField(default=dict, blank=True)
    escalation_id = models.UUIDField(null=True, blank=True)
    escalation_step = models.PositiveIntegerField(default=0)  # index into the flattened levels x rounds
    next_escalation_at = models.DateTimeField(null=True, blank=True)

    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    identified_at = models.DateTimeField(null=True, blank=True)
    monitoring_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

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

    @property
    def public_status(self) -> str:
        return PUBLIC_STATUS[self.status]

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

    def new_escalation_id(self) -> uuid.UUID:
        self.escalation_id = uuid.uuid4()
        return self.escalation_id


class IncidentComponent(models.Model):
    """A component an incident affects, with the status it has because of this incident."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="affected")
    component = models.ForeignKey(Component, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=24, choices=ComponentStatus.choices, default=ComponentStatus.PARTIAL_OUTAGE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["incident", "component"], name="incident_component_once")]

    def __str__(self) -> str:
        return f"{self.component}: {self.get_status_display()}"


def worst_status(statuses) -> str:
    statuses = set(statuses)
    return next((s for s in STATUS_SEVERITY if s in statuses), ComponentStatus.OPERATIONAL)


class IncidentEvent(models.Model):
    """One timeline row. Written by the action that made the change, never by a view."""

    class Kind(models.TextChoices):
        DECLARED = "declared", "Declared"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        STATUS = "status", "Status changed"
        SEVERITY = "severity", "Severity changed"
        COMPONENTS = "components", "Components changed"
        ROLE = "role", "Role assigned"
        UPDATE = "update", "Update posted"
        NOTE = "note", "Note"
        ESCALATED = "escalated", "Escalated"
        PAGED = "paged", "Paged"
        ALERT = "alert", "Alert"
        MERGED = "merged", "Merged"
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


class IncidentUpdate(models.Model):
    """A public update: a status and a message that customers and stakeholders see."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="updates")
    status = models.CharField(max_length=16, choices=PublicStatus.choices)
    message = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The affected components and their statuses when the update was posted (Statuspage's affected_components).
    affected_components = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_status_display()}: {self.message[:60]}"
