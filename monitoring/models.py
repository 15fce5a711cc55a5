"""What Vigil watches. The probe engine and results arrive with the monitoring issue."""

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone


class Monitor(models.Model):
    class Kind(models.TextChoices):
        HTTP = "http", "HTTP(S)"
        TCP = "tcp", "TCP"
        TLS = "tls", "TLS certificate"
        DNS = "dns", "DNS"
        HEARTBEAT = "heartbeat", "Heartbeat"

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        UP = "up", "Up"
        DEGRADED = "degraded", "Degraded"
        DOWN = "down", "Down"
        PAUSED = "paused", "Paused"
        MAINTENANCE = "maintenance", "In maintenance"

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.HTTP)
    target = models.CharField(
        max_length=500, blank=True, help_text="URL, host:port or domain, by kind. Empty for heartbeats."
    )
    interval_seconds = models.PositiveIntegerField(default=60, validators=[MinValueValidator(10)])
    component = models.ForeignKey(
        "incidents.Component", null=True, blank=True, on_delete=models.SET_NULL, related_name="monitors"
    )
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.kind != self.Kind.HEARTBEAT and not self.target:
            raise ValidationError({"target": f"A {self.get_kind_display()} monitor needs a target."})
