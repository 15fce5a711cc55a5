"""Disaster-recovery plans. Versions, steps, backups and drills arrive with the DR-plans issue."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone


class DRPlan(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        APPROVED = "approved", "Approved"
        RETIRED = "retired", "Retired"

    name = models.CharField(max_length=150, unique=True)
    description = models.TextField(blank=True)
    components = models.ManyToManyField("incidents.Component", blank=True, related_name="dr_plans")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rto_minutes = models.PositiveIntegerField(
        "RTO (minutes)", validators=[MinValueValidator(1)], help_text="Recovery time objective"
    )
    rpo_minutes = models.PositiveIntegerField("RPO (minutes)", help_text="Recovery point objective: data loss allowed")
    review_every_days = models.PositiveIntegerField(default=90, validators=[MinValueValidator(1)])
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "DR plan"

    def __str__(self) -> str:
        return self.name
