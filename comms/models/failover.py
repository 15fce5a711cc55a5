"""Each try of an SMS or voice message through one provider (comms.failover)."""

from django.db import models
from django.db.models import Q
from django.utils import timezone


class Outcome(models.TextChoices):
    STARTED = "started", "Started, no answer recorded"  # written before the call; a crash leaves it so
    ACCEPTED = "accepted", "Accepted"
    REFUSED = "refused", "Refused for now (server error, throttled)"
    FAILED = "failed", "Refused for good by this provider"
    UNKNOWN = "unknown", "No answer (timeout, connection lost)"
    UNDELIVERED = "undelivered", "Accepted, then reported failed or undelivered"


# The outcomes after which the provider may have the message: comms.failover never calls it again for that row.
MAYBE_SENT = (Outcome.STARTED, Outcome.ACCEPTED, Outcome.UNKNOWN, Outcome.UNDELIVERED)


class DeliveryAttempt(models.Model):
    """One call to one provider for one outbox row, written before the call (comms.failover)."""

    notification = models.ForeignKey("comms.Notification", on_delete=models.CASCADE, related_name="attempt_log")
    provider = models.CharField(max_length=16)
    started_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, default=Outcome.STARTED)
    provider_id = models.CharField(max_length=100, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["notification", "started_at", "id"]
        constraints = [
            # At most once per provider (comms.failover.begin): a second call that may reach a provider
            # which may already have the message is refused by the database, whichever worker tries.
            models.UniqueConstraint(
                fields=["notification", "provider"],
                condition=Q(outcome__in=MAYBE_SENT),
                name="delivery_attempt_once_per_provider",
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider}: {self.get_outcome_display()}"
