"""Reputation watch: where mentions come from, the mentions themselves, brands, and spikes.

They lived in the monitoring app until issue #16 made reputation an app of its own; their tables
kept the names they had (monitoring_brand, monitoring_mentionsource, monitoring_mention and
monitoring_mentionspike), so the move changed Django's state only and no row was copied
(reputation/migrations/0001_initial.py).
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone


def new_secret() -> str:
    return secrets.token_urlsafe(24)


def split_keywords(text: str) -> list[str]:
    """'Acme, acme.io ,, Acme Cloud' -> ['Acme', 'acme.io', 'Acme Cloud']."""
    return [word.strip() for word in (text or "").split(",") if word.strip()]


class Brand(models.Model):
    """Ours, or a named competitor. A source or a keyword set tags a mention with its brand."""

    name = models.CharField(max_length=100, unique=True)
    ours = models.BooleanField(default=False, help_text="Our own brand; every other brand is a competitor.")
    keywords = models.TextField(
        blank=True,
        help_text="Comma-separated words or phrases. A mention from an untagged source that names one of a "
        "competitor's keywords (and none of ours) is that competitor's.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "monitoring_brand"
        ordering = ["-ours", "name"]
        constraints = [
            # One brand is ours: services.brand_for and the dashboard's comparison rely on it.
            models.UniqueConstraint(
                fields=["ours"],
                condition=Q(ours=True),
                name="brand_one_of_ours",
                violation_error_message="Another brand is already ours.",
            ),
        ]

    def __str__(self) -> str:
        return self.name if self.ours else f"{self.name} (competitor)"

    def keyword_list(self) -> list[str]:
        return split_keywords(self.keywords)


class MentionSource(models.Model):
    """Where mentions come from: a feed polled by beat, a webhook pushed to, or manual entry."""

    class Kind(models.TextChoices):
        FEED = "feed", "RSS/Atom feed"
        WEBHOOK = "webhook", "Webhook"
        MANUAL = "manual", "Manual entry"

    class PollStatus(models.TextChoices):
        IMPORTED = "imported", "Imported"
        NOT_MODIFIED = "not_modified", "Not modified"
        FAILED = "failed", "Failed"

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.FEED)
    brand = models.ForeignKey(
        Brand,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sources",
        help_text="Every mention from this source is this brand's. Empty: ours, unless a competitor's keywords match.",
    )
    url = models.URLField(max_length=2000, blank=True, help_text="The feed's URL (feeds only).")
    # The webhook's credential, sent in a header and compared in constant time (services.access_webhook).
    secret = models.CharField(max_length=64, default=new_secret, editable=False)
    enabled = models.BooleanField(default=True)
    poll_interval_seconds = models.PositiveIntegerField(
        default=300, validators=[MinValueValidator(60), MaxValueValidator(86400)], help_text="Feeds: poll this often."
    )

    # Feeds: what the last poll found, kept by reputation.feeds.
    etag = models.CharField(max_length=500, blank=True, editable=False)
    last_modified = models.CharField(max_length=100, blank=True, editable=False)
    next_poll_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_polled_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_imported_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_status = models.CharField(max_length=12, choices=PollStatus.choices, blank=True, editable=False)
    last_error = models.CharField(max_length=500, blank=True, editable=False)
    failures = models.PositiveIntegerField(default=0, editable=False, help_text="Failed polls in a row.")
    last_received_at = models.DateTimeField(null=True, blank=True, editable=False)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "monitoring_mentionsource"
        ordering = ["name", "id"]
        indexes = [
            # feeds.claim_due's one query: enabled feeds whose poll is due.
            models.Index(fields=["next_poll_at"], name="mentionsource_due_idx", condition=Q(kind="feed", enabled=True)),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("reputation:source", args=[self.pk])

    @property
    def is_feed(self) -> bool:
        return self.kind == self.Kind.FEED

    @property
    def is_webhook(self) -> bool:
        return self.kind == self.Kind.WEBHOOK

    def get_webhook_url(self) -> str:
        return settings.VIGIL_BASE_URL + reverse("reputation:hook", args=[self.pk])

    def clean(self) -> None:
        if self.kind == self.Kind.FEED and not self.url:
            raise ValidationError({"url": "A feed needs its URL."})


class Sentiment(models.TextChoices):
    """VADER's usual reading of its compound score: <= -0.05 negative, >= 0.05 positive."""

    NEGATIVE = "negative", "Negative"
    NEUTRAL = "neutral", "Neutral"
    POSITIVE = "positive", "Positive"


class MentionState(models.TextChoices):
    NEW = "new", "New"
    NEEDS_RESPONSE = "needs_response", "Needs response"
    RESPONDED = "responded", "Responded"
    IGNORED = "ignored", "Ignored"


# The one table of allowed moves, checked by services.do_change_state.
MENTION_TRANSITIONS: dict[str, set[str]] = {
    MentionState.NEW: {MentionState.NEEDS_RESPONSE, MentionState.RESPONDED, MentionState.IGNORED},
    MentionState.NEEDS_RESPONSE: {MentionState.RESPONDED, MentionState.IGNORED, MentionState.NEW},
    MentionState.RESPONDED: {MentionState.NEEDS_RESPONSE},  # a follow-up needs another answer
    MentionState.IGNORED: {MentionState.NEEDS_RESPONSE, MentionState.NEW},
}


class Mention(models.Model):
    """One post, review or comment about a brand, with its sentiment and where it stands."""

    State = MentionState

    id = models.BigAutoField(primary_key=True)
    source = models.ForeignKey(MentionSource, null=True, blank=True, on_delete=models.SET_NULL, related_name="mentions")
    brand = models.ForeignKey(Brand, null=True, blank=True, on_delete=models.SET_NULL, related_name="mentions")
    platform = models.CharField(max_length=50, blank=True, help_text="Where it was posted, e.g. reddit, trustpilot.")
    external_id = models.CharField(max_length=300, blank=True, help_text="Its id at the source (a feed entry's id).")
    url = models.URLField(max_length=1000, blank=True)
    author = models.CharField(max_length=200, blank=True)
    text = models.TextField()
    published_at = models.DateTimeField()
    received_at = models.DateTimeField(default=timezone.now)
    sentiment = models.FloatField(help_text="VADER's compound score, from -1 (most negative) to 1.")
    label = models.CharField(max_length=8, choices=Sentiment.choices)
    incident = models.ForeignKey(
        "incidents.Incident", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    linked_automatically = models.BooleanField(default=False)

    state = models.CharField(max_length=16, choices=MentionState.choices, default=MentionState.NEW)
    state_changed_at = models.DateTimeField(null=True, blank=True)
    response = models.TextField(blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "monitoring_mention"
        ordering = ["-published_at", "-id"]
        constraints = [
            # A mention is stored once however often it is delivered: services.ingest inserts with
            # ON CONFLICT DO NOTHING and relies on these two.
            models.UniqueConstraint(fields=["url"], condition=~Q(url=""), name="mention_once_per_url"),
            models.UniqueConstraint(
                fields=["source", "external_id"], condition=~Q(external_id=""), name="mention_once_per_source_id"
            ),
            models.CheckConstraint(
                condition=Q(sentiment__gte=-1) & Q(sentiment__lte=1), name="mention_sentiment_in_range"
            ),
        ]
        indexes = [
            # Spikes, charts and the incident panel read mentions by time.
            models.Index(fields=["published_at"], name="mention_time_idx"),
            # The needs-response queue, oldest first.
            models.Index(fields=["state", "published_at"], name="mention_state_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.author or 'someone'}: {self.text[:60]}"

    def get_absolute_url(self) -> str:
        return reverse("reputation:detail", args=[self.pk])

    def can_move_to(self, state: str) -> bool:
        return state in MENTION_TRANSITIONS[self.state]

    @property
    def time_to_respond(self) -> timedelta | None:
        """From posting to our answer: how long the author waited."""
        if self.responded_at is None or self.state != MentionState.RESPONDED:
            return None
        return max(self.responded_at - self.published_at, timedelta(0))


class MentionSpike(models.Model):
    """A run of hours whose mentions of us rose beyond the baseline (reputation.spikes).

    One row per spike, keyed by its first hour; it raises one incident, however long it lasts.
    """

    class Reason(models.TextChoices):
        VOLUME = "volume", "Volume"
        NEGATIVE = "negative", "Negative share"

    started_at = models.DateTimeField(unique=True, help_text="The first hour of the spike (UTC).")
    last_hour_at = models.DateTimeField(help_text="The latest hour found spiking.")
    reason = models.CharField(max_length=8, choices=Reason.choices)
    mentions = models.PositiveIntegerField(help_text="Mentions in the busiest hour.")
    negative = models.PositiveIntegerField(help_text="Negative mentions in that hour.")
    baseline_mean = models.FloatField(help_text="Mean mentions an hour over the baseline window.")
    baseline_stddev = models.FloatField()
    baseline_negative_share = models.FloatField()
    threshold = models.FloatField(help_text="The volume an hour had to reach.")
    incident = models.ForeignKey(
        "incidents.Incident", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "monitoring_mentionspike"
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"Mention spike from {self.started_at:%Y-%m-%d %H:00} UTC"

    @property
    def negative_share(self) -> float:
        return self.negative / self.mentions if self.mentions else 0.0

    @property
    def dedup_key(self) -> str:
        """The incident's dedup key: one open incident per spike (incidents' unique constraint)."""
        return f"reputation:spike:{self.started_at:%Y-%m-%dT%H}Z"
