"""What Vigil remembers about Slack: who is who, each incident's channel and its card, and the
messages (DM pages) it may have to edit later."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class SlackIdentity(models.Model):
    """A Slack user of the install's workspace who is a Vigil user: matched by the verified email
    Slack gives (users.info) or linked once through a signed link (chat.slack.identity)."""

    class LinkedBy(models.TextChoices):
        EMAIL = "email", "Same email"
        LINK = "link", "Signed link"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="slack_identity")
    slack_user_id = models.CharField(max_length=32, unique=True)
    team_id = models.CharField(max_length=32, blank=True)
    linked_by = models.CharField(max_length=8, choices=LinkedBy.choices)
    linked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "Slack identities"

    def __str__(self) -> str:
        return f"{self.user} = Slack {self.slack_user_id}"


class IncidentChannel(models.Model):
    """An incident's own Slack channel and the pinned card in it that is edited in place."""

    incident = models.OneToOneField("incidents.Incident", on_delete=models.CASCADE, related_name="slack_channel")
    channel_id = models.CharField(max_length=32, blank=True)  # empty until Slack created it
    name = models.CharField(max_length=80)
    card_ts = models.CharField(max_length=32, blank=True)  # the card message, once posted
    # The incident's state the card last showed (chat.slack.card.fingerprint): an edit only when it changed.
    card_fingerprint = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    archived_at = models.DateTimeField(null=True, blank=True)
    # Why the channel is not (yet) there, in words, shown on the incident page; empty when all is well.
    problem = models.CharField(max_length=300, blank=True)
    # The bridge and status page links were bookmarked (bookmarks.add is not idempotent: a retried
    # set-up must not add them twice).
    bookmarked = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"#{self.name}"


class SlackMessage(models.Model):
    """A message Vigil posted that it may edit later: a page's DM (to show who acknowledged)."""

    class Kind(models.TextChoices):
        PAGE = "page", "Page DM"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    incident = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE, related_name="slack_messages")
    page = models.ForeignKey("incidents.Page", null=True, blank=True, on_delete=models.CASCADE)
    channel_id = models.CharField(max_length=32)
    ts = models.CharField(max_length=32)
    posted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["channel_id", "ts"], name="slack_message_once")]
        indexes = [models.Index(fields=["incident", "kind"], name="slack_message_incident")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.channel_id}/{self.ts}"


class TimelineCopy(models.Model):
    """A channel message copied to its incident's timeline (chat.slack.timeline): the unique pair
    (channel_id, ts) makes a message marked twice, or an event delivered twice, one note."""

    incident = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE, related_name="+")
    channel_id = models.CharField(max_length=32)
    ts = models.CharField(max_length=32)
    copied_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["channel_id", "ts"], name="timeline_copy_once")]

    def __str__(self) -> str:
        return f"{self.channel_id}/{self.ts} -> #{self.incident_id}"
