from datetime import timedelta

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from incidents.models import Incident
from reputation.models import Brand, Mention, MentionSource, MentionSpike, MentionState, Sentiment
from reputation.services import MAX_TEXT, MentionIn

WEBHOOK_BATCH = 500


@extend_schema_field({"type": "string", "maxLength": 2000, "anyOf": [{"format": "uri"}, {"maxLength": 0}]})
class BlankableURLField(serializers.URLField):
    """A URL, or "" where none is needed (a webhook or manual source has no feed URL)."""


class WebhookMentionSerializer(serializers.Serializer):
    """One mention as a listening tool or an automation service posts it to a source's webhook."""

    text = serializers.CharField(max_length=MAX_TEXT, help_text="What was said.")
    url = serializers.URLField(max_length=1000, required=False, allow_blank=True, default="")
    author = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    source = serializers.CharField(
        max_length=50, required=False, allow_blank=True, default="", help_text="Where it was posted, e.g. reddit."
    )
    published_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    id = serializers.CharField(
        max_length=1000, required=False, allow_blank=True, default="", help_text="Its id at the sender."
    )

    @staticmethod
    def to_mention(data: dict) -> MentionIn:
        return MentionIn(
            text=data["text"],
            published_at=data["published_at"],
            url=data["url"],
            author=data["author"],
            platform=data["source"],
            external_id=data["id"],
        )


class BrandSerializer(serializers.ModelSerializer):
    class Meta:
        model = Brand
        fields = ["id", "name", "ours", "keywords", "created_at"]
        read_only_fields = ["created_at"]


class MentionSourceSerializer(serializers.ModelSerializer):
    """A source of mentions. Its webhook secret is shown to those who may change sources only."""

    url = BlankableURLField(max_length=2000, required=False, allow_blank=True, help_text="The feed's URL (feeds only).")
    last_status = serializers.SerializerMethodField(help_text="What the last poll found; null before the first.")
    webhook_url = serializers.SerializerMethodField(help_text="Webhooks: the URL to post mentions to.")
    secret = serializers.SerializerMethodField(help_text="Webhooks: the secret header's value (admins only).")

    class Meta:
        model = MentionSource
        fields = [
            "id", "name", "kind", "brand", "url", "enabled", "poll_interval_seconds",
            "last_status", "last_error", "last_polled_at", "last_imported_at", "last_received_at", "failures",
            "next_poll_at", "webhook_url", "secret", "created_at",
        ]  # fmt: skip
        read_only_fields = ["created_at"]

    @extend_schema_field(serializers.ChoiceField(choices=MentionSource.PollStatus.choices, allow_null=True))
    def get_last_status(self, source: MentionSource) -> str | None:
        return source.last_status or None

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_webhook_url(self, source: MentionSource) -> str | None:
        return source.get_webhook_url() if source.is_webhook else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_secret(self, source: MentionSource) -> str | None:
        request = self.context.get("request")
        allowed = request is not None and request.user.has_perm("reputation.change_mentionsource")
        return source.secret if source.is_webhook and allowed else None


class MentionSerializer(serializers.ModelSerializer):
    url = serializers.CharField(read_only=True, help_text="Where it was posted; empty when the source gave none.")
    responded_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    time_to_respond_seconds = serializers.SerializerMethodField(
        help_text="From posting to the answer, when it was answered."
    )

    class Meta:
        model = Mention
        fields = [
            "id", "source", "brand", "platform", "external_id", "url", "author", "text", "published_at",
            "received_at", "sentiment", "label", "incident", "linked_automatically", "state", "state_changed_at",
            "response", "responded_by", "responded_at", "time_to_respond_seconds",
        ]  # fmt: skip
        read_only_fields = fields

    def get_time_to_respond_seconds(self, mention: Mention) -> float | None:
        took: timedelta | None = mention.time_to_respond
        return took.total_seconds() if took is not None else None


class MentionCreateSerializer(serializers.Serializer):
    """Manual entry: scored and linked like any other mention; an incident given links it by hand."""

    text = serializers.CharField(max_length=MAX_TEXT)
    url = serializers.URLField(max_length=1000, required=False, allow_blank=True, default="")
    author = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    platform = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    published_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    source = serializers.PrimaryKeyRelatedField(
        queryset=MentionSource.objects.all(), required=False, allow_null=True, default=None
    )
    incident = serializers.PrimaryKeyRelatedField(
        queryset=Incident.objects.all(), required=False, allow_null=True, default=None
    )


class MentionStateSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=MentionState.choices)
    response = serializers.CharField(
        max_length=10_000, required=False, allow_blank=True, default="", help_text="Required to mark it responded."
    )


class MentionLinkSerializer(serializers.Serializer):
    incident = serializers.PrimaryKeyRelatedField(
        queryset=Incident.objects.all(), allow_null=True, help_text="null unlinks it."
    )


class MentionFilterSerializer(serializers.Serializer):
    """Filters of the mention list."""

    state = serializers.ChoiceField(choices=MentionState.choices, required=False)
    label = serializers.ChoiceField(choices=Sentiment.choices, required=False)
    brand = serializers.PrimaryKeyRelatedField(queryset=Brand.objects.all(), required=False)
    source = serializers.PrimaryKeyRelatedField(queryset=MentionSource.objects.all(), required=False)
    incident = serializers.PrimaryKeyRelatedField(queryset=Incident.objects.all(), required=False)
    search = serializers.CharField(required=False, max_length=200, help_text="Part of the text or the author.")
    since = serializers.DateTimeField(required=False, help_text="Posted at or after.")
    until = serializers.DateTimeField(required=False, help_text="Posted before.")


class MentionSpikeSerializer(serializers.ModelSerializer):
    negative_share = serializers.FloatField(read_only=True)
    dedup_key = serializers.CharField(read_only=True, help_text="The dedup key of the spike's incident.")

    class Meta:
        model = MentionSpike
        fields = [
            "id", "started_at", "last_hour_at", "reason", "mentions", "negative", "negative_share",
            "baseline_mean", "baseline_stddev", "baseline_negative_share", "threshold", "incident", "dedup_key",
            "created_at",
        ]  # fmt: skip
        read_only_fields = fields
