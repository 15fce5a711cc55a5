"""People and systems who asked, on the public status page, to hear about incidents and maintenance.

A subscriber is an email address, a phone number (SMS) or a webhook URL, for every public
component or chosen ones. An email or SMS subscriber hears nothing until confirmed (the link
emailed, the code texted); a webhook, once it has echoed the challenge of a verification request
(comms.status.subscribers.webhook_challenge). An Apprise URL (a credential: a bot token, a webhook
key) is the one kind nobody signs up for: only an admin adds it, in Django's admin, and it is
confirmed at once (comms.status.subscribers.services.do_add_apprise_subscriber).
comms.status.subscribers.services holds the actions; comms.outbox writes their messages alongside the stakeholders'.
"""

import secrets

from django.db import models
from django.db.models import Q
from django.utils import timezone


def new_token() -> str:
    """What the signed links name a subscriber by: random, so a link says nothing of the address."""
    return secrets.token_urlsafe(18)


def new_secret() -> str:
    return secrets.token_hex(32)


class SubscriberQuerySet(models.QuerySet):
    def confirmed(self):
        return self.filter(confirmed_at__isnull=False)

    def interested_in(self, component_ids):
        """Confirmed subscribers to every component, or to one of COMPONENT_IDS. One query when iterated."""
        every = Q(components__isnull=True)
        chosen = Q(components__in=list(component_ids))
        ids = self.confirmed().filter(every | chosen).values("pk")
        return Subscriber.objects.filter(pk__in=ids).order_by("pk")


class Subscriber(models.Model):
    class Kind(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "SMS"
        WEBHOOK = "webhook", "Webhook"
        # Admin-set only: the public form and do_subscribe refuse it (comms.status.subscribers.forms).
        APPRISE = "apprise", "Apprise (set by an admin)"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    address = models.CharField(max_length=500, help_text="The email address, E.164 number, webhook URL or Apprise URL.")
    components = models.ManyToManyField(
        "incidents.Component", blank=True, related_name="subscribers", help_text="Empty: every component."
    )
    token = models.CharField(max_length=32, unique=True, default=new_token, editable=False)
    secret = models.CharField(
        max_length=64, blank=True, help_text="Webhook: the HMAC-SHA256 key its requests are signed with."
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # SMS confirmation: a hash of the code texted (never the code), when it was sent, and wrong tries since.
    code_hash = models.CharField(max_length=128, blank=True)
    code_sent_at = models.DateTimeField(null=True, blank=True)
    code_attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SubscriberQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # comms.status.subscribers.services.do_subscribe: one subscription per address, found again on a
            # second sign-up.
            models.UniqueConstraint(fields=["kind", "address"], name="subscriber_once_per_address"),
        ]
        # comms.outbox: the confirmed ones, at every fan-out.
        indexes = [models.Index(fields=["confirmed_at"], name="subscriber_confirmed_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} subscriber {self.pk}"

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None

    @property
    def medium(self) -> str:
        """The outbox medium of its messages (a webhook is sent as an endpoint of kind webhook, an Apprise URL
        through comms.channels.apprise)."""
        return self.kind


class MaintenanceNotice(models.Model):
    """That subscribers are to hear about a moment of a maintenance: written once per moment (the
    unique key), then planned into outbox rows by comms.tasks.plan_notice, like an update's Fanout."""

    class Moment(models.TextChoices):
        CREATED = "created", "Scheduled"
        CHANGED = "changed", "Changed"
        REMINDER = "reminder", "Starts soon"
        STARTED = "started", "In progress"
        COMPLETED = "completed", "Completed"

    maintenance = models.ForeignKey("comms.ScheduledMaintenance", on_delete=models.CASCADE, related_name="notices")
    moment = models.CharField(max_length=10, choices=Moment.choices)
    key = models.CharField(
        max_length=64, help_text="What makes this notice once-only: the moment, and for some a time."
    )
    created_at = models.DateTimeField(default=timezone.now)
    planned_at = models.DateTimeField(null=True, blank=True)
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # comms.status.subscribers.notices.record: beat and a retried action write the same notice once.
            models.UniqueConstraint(fields=["maintenance", "key"], name="maintenance_notice_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_moment_display()} notice of maintenance {self.maintenance_id}"
