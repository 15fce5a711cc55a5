"""Who hears about an incident: stakeholders, their groups, and what each cares about."""

import zoneinfo

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from comms.phones import validate_e164


class Medium(models.TextChoices):
    """How a person is reached. Which provider carries each is configuration (comms.channels.routing)."""

    EMAIL = "email", "Email"
    SMS = "sms", "SMS"
    VOICE = "voice", "Voice call"


def default_channels() -> list[str]:
    return [Medium.EMAIL.value]


def validate_media(value) -> None:
    if not isinstance(value, list) or any(item not in Medium.values for item in value):
        raise ValidationError(f"Use a list of {', '.join(Medium.values)}.")


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not an IANA time zone (e.g. Europe/Paris).")


class StakeholderGroup(models.Model):
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    team = models.ForeignKey(
        "incidents.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="stakeholder_groups",
        help_text="The team that owns this: its responders may change it.",
    )

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
    phone = models.CharField(
        max_length=20, blank=True, help_text="E.164, e.g. +14155550100", validators=[validate_e164]
    )
    groups = models.ManyToManyField(StakeholderGroup, blank=True, related_name="members")
    created_at = models.DateTimeField(default=timezone.now)
    channels = models.JSONField(
        default=default_channels, blank=True, validators=[validate_media], help_text="Preferred: email, sms, voice."
    )
    opted_out = models.JSONField(
        default=list, blank=True, validators=[validate_media], help_text="Media this person asked not to be sent."
    )
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    # Interest: a stakeholder with components hears only about incidents affecting one of them.
    components = models.ManyToManyField(
        "incidents.Component", blank=True, related_name="interested_stakeholders", help_text="Empty: every component."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation})" if self.organisation else self.name

    def address(self, medium: str) -> str:
        return self.email if medium == Medium.EMAIL else self.phone

    def reachable_by(self) -> list[str]:
        """The preferred media this person has an address for and has not opted out of."""
        return [medium for medium, _ in self.reach(self.channels, self.opted_out, self.email, self.phone)]

    @staticmethod
    def reach(channels, opted_out, email: str, phone: str) -> list[tuple[str, str]]:
        """(medium, address) for each medium reachable_by() gives, from the columns it reads: planning an
        update reads them as plain values (comms.outbox), not as thousands of model instances."""
        return [
            (medium, address)
            for medium in channels or []
            if medium not in (opted_out or []) and (address := email if medium == Medium.EMAIL else phone)
        ]


class IncidentAudience(models.Model):
    """The groups chosen to hear an incident's public updates (besides stakeholders interested in its components)."""

    incident = models.OneToOneField("incidents.Incident", on_delete=models.CASCADE, related_name="audience")
    groups = models.ManyToManyField(StakeholderGroup, blank=True, related_name="+")

    def __str__(self) -> str:
        return f"Audience of {self.incident}"
