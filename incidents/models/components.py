from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone


class ComponentStatus(models.TextChoices):
    # Statuspage's values, so the public JSON can use them unchanged.
    OPERATIONAL = "operational", "Operational"
    DEGRADED = "degraded_performance", "Degraded performance"
    PARTIAL_OUTAGE = "partial_outage", "Partial outage"
    MAJOR_OUTAGE = "major_outage", "Major outage"
    MAINTENANCE = "under_maintenance", "Under maintenance"


# Worst first: the order a page or an incident uses to pick the worst status.
STATUS_SEVERITY = [
    ComponentStatus.MAJOR_OUTAGE,
    ComponentStatus.PARTIAL_OUTAGE,
    ComponentStatus.DEGRADED,
    ComponentStatus.MAINTENANCE,
    ComponentStatus.OPERATIONAL,
]


class ComponentGroup(models.Model):
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class Component(models.Model):
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    group = models.ForeignKey(
        ComponentGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="components"
    )
    position = models.PositiveIntegerField(default=0)
    public = models.BooleanField(default=True, help_text="Shown on the public status page.")
    owner_team = models.ForeignKey(
        "incidents.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="components"
    )
    status = models.CharField(max_length=24, choices=ComponentStatus.choices, default=ComponentStatus.OPERATIONAL)
    # Who fixes this component: wins over the severity's default (incidents.escalation.default_policy).
    escalation_policy = models.ForeignKey(
        "incidents.EscalationPolicy",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="default escalation policy",
        help_text="Paged when an incident naming this component is declared without choosing a policy; "
        "wins over the severity's default.",
    )
    slo = models.DecimalField(
        "SLO (%)",
        max_digits=6,
        decimal_places=3,
        default=Decimal("99.900"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text="Uptime objective, e.g. 99.900: the reports measure the error budget against it.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["group__position", "position", "name"]

    def __str__(self) -> str:
        return self.name
