"""The outbox: one row per message before any network call, and the endpoints that get public updates."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from comms.apprise_urls import validate_apprise_url


class Endpoint(models.Model):
    """Somewhere every public update is posted: an outgoing webhook, a Slack channel, a Mastodon account."""

    class Kind(models.TextChoices):
        WEBHOOK = "webhook", "Outgoing webhook"
        SLACK = "slack", "Slack incoming webhook"
        MASTODON = "mastodon", "Mastodon account"
        APPRISE = "apprise", "Apprise URL (Telegram, Discord, Teams, Matrix, ...)"

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # Not a URLField: an Apprise URL (tgram://, json://) is no http(s) URL. clean() checks each kind's form.
    url = models.CharField(
        max_length=500,
        help_text="Webhook or Slack URL; for Mastodon the server, e.g. https://mastodon.social; or an Apprise URL",
    )
    secret = models.CharField(
        max_length=200, blank=True, help_text="Webhook: the HMAC-SHA256 key. Mastodon: the access token."
    )
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    def clean(self) -> None:
        super().clean()
        try:
            check_endpoint_url(self.kind, self.url)
        except ValidationError as exc:
            raise ValidationError({"url": exc.messages}) from None


def check_endpoint_url(kind: str, url: str) -> None:
    """A ValidationError unless URL suits an endpoint of KIND: an Apprise URL for Apprise, else http(s)."""
    if kind == Endpoint.Kind.APPRISE:
        validate_apprise_url(url)
    else:
        URLValidator(schemes=["http", "https"])(url)


class Fanout(models.Model):
    """That a public update is to be sent. Written when the update is posted (cheap, in the request);
    comms.tasks.fan_out then writes its outbox rows, and the sweeper re-runs any not planned."""

    update = models.OneToOneField("incidents.IncidentUpdate", on_delete=models.CASCADE, related_name="fanout")
    planned_at = models.DateTimeField(null=True, blank=True)
    recipients = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Fan-out of update {self.update_id}"


class State(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    BOUNCED = "bounced", "Bounced"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


# The one table of allowed moves (one status field, its transitions declared here), checked by
# comms.outbox and comms.delivery before every state change.
# sending -> queued is a transient failure scheduled for retry, or a stalled claim taken back.
# failed -> queued is a retry by hand.
# The provider's later reports (comms.delivery) only move a row forward: sent, then delivered, bounced or
# failed. One may reach a row still `sending` (the callback beat the outcome's write) or `queued` again (the
# worker died before writing that the provider took it): the provider has the message, so it is never sent
# again. delivered -> bounced is an email's asynchronous bounce, reported after the receiving server took it.
STATE_TRANSITIONS: dict[str, set[str]] = {
    State.QUEUED: {State.SENDING, State.CANCELLED, State.SENT, State.DELIVERED, State.BOUNCED, State.FAILED},
    State.SENDING: {State.SENT, State.FAILED, State.QUEUED, State.DELIVERED, State.BOUNCED},
    State.SENT: {State.DELIVERED, State.BOUNCED, State.FAILED},
    State.DELIVERED: {State.BOUNCED},
    State.BOUNCED: set(),
    State.FAILED: {State.QUEUED},
    State.CANCELLED: set(),
}


class Notification(models.Model):
    """One message to one recipient by one channel: the outbox row (DESIGN.md invariant).

    The row is written before any network call; its state says what happened. A row is
    only marked sent once the provider accepted it, so a retry never sends it again.
    A row with a page is in the page lane, sent by its own task and queue (comms.outbox).
    """

    update = models.ForeignKey(
        "incidents.IncidentUpdate", null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    page = models.ForeignKey(
        "incidents.Page", null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    stakeholder = models.ForeignKey(
        "comms.Stakeholder", null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications"
    )
    endpoint = models.ForeignKey(Endpoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    subscriber = models.ForeignKey(
        "comms.Subscriber", null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications"
    )
    notice = models.ForeignKey(
        "comms.MaintenanceNotice", null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications"
    )
    # A person's "Send a test page" (comms.models.TestPage): their chain run without an incident.
    test_page = models.ForeignKey(
        "comms.TestPage", null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    medium = models.CharField(max_length=10, help_text="email, sms, voice, or the endpoint's kind")
    channel = models.CharField(max_length=16, db_index=True, help_text="The channel class that sends it")
    destination = models.CharField(max_length=500, help_text="Address, number or URL, as it was when queued")
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claim = models.UUIDField(null=True, blank=True, help_text="The send that holds the row while sending")
    claimed_at = models.DateTimeField(null=True, blank=True)
    provider_id = models.CharField(max_length=100, blank=True)
    ack_code = models.CharField(
        max_length=8, blank=True, help_text="A page SMS: the code its person replies with (ACK <code>)"
    )
    error = models.TextField(blank=True)
    # Why the row waits beyond its rule's delay, e.g. "Held until 07:00 Europe/Paris (quiet hours)." (comms.quiet_hours)
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True, help_text="When the provider reported it delivered")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("retry_notification", "Can retry failed notifications")]
        constraints = [
            # One row per (update, recipient, medium): comms.outbox.plan writes with
            # ignore_conflicts, so planning the same update twice adds nothing.
            models.UniqueConstraint(
                fields=["update", "stakeholder", "medium"],
                condition=Q(stakeholder__isnull=False),
                name="notification_once_per_stakeholder",
            ),
            models.UniqueConstraint(
                fields=["update", "endpoint"],
                condition=Q(endpoint__isnull=False),
                name="notification_once_per_endpoint",
            ),
            models.UniqueConstraint(
                fields=["page", "medium"],
                condition=Q(page__isnull=False) & ~Q(medium="push"),
                name="notification_once_per_page_medium",
            ),
            # A page by Web Push: one row per device (destination: the PushSubscription's id), comms.push.planning.
            models.UniqueConstraint(
                fields=["page", "destination"],
                condition=Q(page__isnull=False, medium="push"),
                name="notification_once_per_page_device",
            ),
            # comms.status.subscribers.services.rows_for: an update's or a maintenance notice's subscriber rows are
            # written with ignore_conflicts.
            models.UniqueConstraint(
                fields=["update", "subscriber"],
                condition=Q(update__isnull=False, subscriber__isnull=False),
                name="notification_once_per_update_subscriber",
            ),
            models.UniqueConstraint(
                fields=["notice", "subscriber"],
                condition=Q(notice__isnull=False, subscriber__isnull=False),
                name="notification_once_per_notice_subscriber",
            ),
        ]
        indexes = [
            # comms.outbox.claim: the due queued rows of one channel (the bulk lane's claims, and the sweepers).
            models.Index(fields=["channel", "state", "next_attempt_at"], name="notification_due_idx"),
            # comms.outbox.claim in the page lane (comms.tasks.send_pages): a channel's few due page rows,
            # found without walking the bulk lane's queued rows (a fan-out queues tens of thousands).
            models.Index(
                fields=["channel", "next_attempt_at"],
                condition=Q(state="queued", page__isnull=False),
                name="notification_page_due_idx",
            ),
            models.Index(fields=["update", "state"], name="notification_update_state_idx"),
            # comms.services.do_acknowledge_by_sms: the page SMS a reply's code names.
            models.Index(fields=["ack_code"], condition=~Q(ack_code=""), name="notification_ack_code_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_state_display()} {self.medium} to {self.destination}"

    def can_move_to(self, state: str) -> bool:
        return state in STATE_TRANSITIONS[self.state]
