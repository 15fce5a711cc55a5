"""Drills: a rehearsal of a plan's approved steps that measures the real recovery time."""

import re
from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone

from .plans import A_YEAR, TEN_YEARS_IN_DAYS

# A list marker at the start of a line of findings: "- ", "* ", "• ", "1. ", "2) ".
BULLET = re.compile(r"^\s*(?:[-*•+]|\d+[.)])\s+")


class Drill(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        RUNNING = "running", "Running"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"

    plan = models.ForeignKey("dr_plans.DRPlan", on_delete=models.CASCADE, related_name="drills")
    version = models.ForeignKey(
        "dr_plans.PlanVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="drills"
    )
    scenario = models.CharField(max_length=200, help_text="e.g. 'Primary database lost'.")
    scheduled_for = models.DateTimeField()
    repeat_every_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(TEN_YEARS_IN_DAYS)],
        help_text="Empty: once.",
    )
    participants = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The targets in force when the drill started (from the approved version drilled).
    target_rto_minutes = models.PositiveIntegerField(null=True, blank=True)
    target_rpo_minutes = models.PositiveIntegerField(null=True, blank=True)
    data_loss_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(A_YEAR)],
        help_text="The data-loss window seen: how old the restored data was.",
    )
    passed = models.BooleanField(null=True, blank=True)
    findings = models.TextField(blank=True, help_text="Problems found and what to do about them.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-scheduled_for", "-id"]

    def __str__(self) -> str:
        return f"{self.plan}: {self.scenario} ({self.scheduled_for:%Y-%m-%d})"

    def get_absolute_url(self) -> str:
        return reverse("dr_plans:drill", args=[self.pk])

    @property
    def recovery_time(self) -> timedelta | None:
        """Achieved recovery time: from the drill's start to the end of its last step."""
        if self.started_at is None or self.finished_at is None:
            return None
        return self.finished_at - self.started_at

    @property
    def recovery_minutes(self) -> float | None:
        elapsed = self.recovery_time
        return None if elapsed is None else elapsed.total_seconds() / 60

    @property
    def rto_met(self) -> bool | None:
        if self.recovery_time is None or self.target_rto_minutes is None:
            return None
        return self.recovery_time <= timedelta(minutes=self.target_rto_minutes)

    @property
    def rpo_met(self) -> bool | None:
        if self.data_loss_minutes is None or self.target_rpo_minutes is None:
            return None
        return self.data_loss_minutes <= self.target_rpo_minutes

    def finding_lines(self) -> list[str]:
        """The findings one per line, list markers dropped: each a candidate action item."""
        lines = (BULLET.sub("", line).strip() for line in self.findings.splitlines())
        return [line for line in lines if line]

    def verdict(self, steps_done: bool) -> bool:
        """Pass: every step done, recovery within the RTO and data loss within the RPO."""
        return bool(steps_done and self.rto_met and self.rpo_met)


class DrillStep(models.Model):
    """A step of the drilled version, copied when the drill starts, with its own timing."""

    drill = models.ForeignKey(Drill, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField(default=0)
    section = models.CharField(max_length=100, blank=True)
    title = models.CharField(max_length=200)
    instructions = models.TextField(blank=True)
    command = models.TextField(blank=True)
    expected_minutes = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True)
    problem = models.TextField(blank=True, help_text="What went wrong in this step, if anything.")

    class Meta:
        ordering = ["drill", "position", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def state(self) -> str:
        if self.finished_at:
            return "done"
        return "running" if self.started_at else "pending"

    @property
    def duration(self) -> timedelta | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return self.finished_at - self.started_at

    @property
    def over_expected(self) -> bool:
        return self.duration is not None and self.duration > timedelta(minutes=self.expected_minutes)
