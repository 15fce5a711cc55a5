"""Who hears about an incident. Channels and the outbox arrive with the comms issue."""

from django.db import models
from django.utils import timezone


class StakeholderGroup(models.Model):
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Stakeholder(models.Model):
    class Kind(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        VENDOR = "vendor", "Vendor"
        PARTNER = "partner", "Partner"
        EMPLOYEE = "employee", "Employee"
        ENGINEER = "engineer", "Engineer"
        EXECUTIVE = "executive", "Executive"

    name = models.CharField(max_length=150)
    organisation = models.CharField(max_length=150, blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.CUSTOMER)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True, help_text="E.164, e.g. +14155550100")
    groups = models.ManyToManyField(StakeholderGroup, blank=True, related_name="members")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation})" if self.organisation else self.name
