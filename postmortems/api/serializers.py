from django.utils import timezone
from rest_framework import serializers

from incidents import links
from postmortems.models import ActionItem, PostMortem, PostMortemReview, PostMortemTimelineEntry
from vigil.people import people

# Ids beyond a signed 64-bit integer are no row in any database Vigil runs on.
MAX_ID = 2**63 - 1


class TimelineEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = PostMortemTimelineEntry
        fields = ["id", "at", "text", "public"]


class PostMortemReviewSerializer(serializers.ModelSerializer):
    reviewer_name = serializers.CharField(source="reviewer.get_username", read_only=True)

    class Meta:
        model = PostMortemReview
        fields = ["reviewer", "reviewer_name", "signed_at"]


class WhyPairSerializer(serializers.Serializer):
    why = serializers.CharField(max_length=1000, allow_blank=True)
    because = serializers.CharField(max_length=2000, allow_blank=True)


class ComponentImpactSerializer(serializers.Serializer):
    component = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    seconds = serializers.IntegerField()


class NotificationFiguresSerializer(serializers.Serializer):
    """The outbox rows of the incident's public updates (postmortems.evidence.notification_figures)."""

    updates = serializers.IntegerField()
    messages = serializers.IntegerField()
    stakeholders = serializers.IntegerField()
    subscribers = serializers.IntegerField(help_text="Status page subscribers.")
    endpoints = serializers.IntegerField()
    sent = serializers.IntegerField(help_text="Taken by the provider (sent, delivered or bounced since).")
    delivered = serializers.IntegerField()
    failed = serializers.IntegerField(help_text="Refused for good, or bounced.")
    bounced = serializers.IntegerField()
    pending = serializers.IntegerField(help_text="Still queued or sending when drafted.")
    cancelled = serializers.IntegerField()


class MentionFiguresSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    negative = serializers.IntegerField()
    responded = serializers.IntegerField()


class ImpactSerializer(serializers.Serializer):
    """Figures computed from the incident's record when the post-mortem was drafted; times in seconds.

    detected_by, first_sign_at, notifications and mentions are absent from drafts made before they existed."""

    started_at = serializers.DateTimeField()
    detected_at = serializers.DateTimeField()
    resolved_at = serializers.DateTimeField(allow_null=True)
    detection_source = serializers.CharField()
    detected_by = serializers.CharField(required=False)
    first_sign_at = serializers.DateTimeField(required=False)
    duration = serializers.IntegerField(allow_null=True)
    time_to_detect = serializers.IntegerField(allow_null=True)
    time_to_acknowledge = serializers.IntegerField(allow_null=True)
    time_to_resolve = serializers.IntegerField(allow_null=True)
    components = ComponentImpactSerializer(many=True)
    components_note = serializers.CharField(allow_blank=True)
    notifications = NotificationFiguresSerializer(required=False)
    mentions = MentionFiguresSerializer(required=False)

    def to_representation(self, instance):
        # A post-mortem made before drafting existed has no figures: null, not a half-filled object.
        return super().to_representation(instance) if instance else None


class PostMortemSerializer(serializers.ModelSerializer):
    """A post-mortem. Creating one drafts it from the incident's record; its status moves through the actions."""

    five_whys = WhyPairSerializer(many=True, required=False, max_length=20)
    impact = ImpactSerializer(read_only=True, allow_null=True)
    timeline = TimelineEntrySerializer(many=True, read_only=True)
    reviews = PostMortemReviewSerializer(many=True, read_only=True)
    published = serializers.BooleanField(read_only=True)

    class Meta:
        model = PostMortem
        fields = [
            "id", "incident", "title", "status", "published", "published_at", "public_summary", "summary",
            "trigger", "root_cause", "contributing_factors", "resolution", "went_well", "went_poorly", "got_lucky",
            "five_whys", "lessons_learned", "impact", "timeline", "reviews", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["status", "published_at", "public_summary", "created_at", "updated_at"]

    def validate_incident(self, incident):
        if self.instance is not None and incident != self.instance.incident:
            raise serializers.ValidationError("A post-mortem stays with its incident.")
        return incident


class ReviewersSerializer(serializers.Serializer):
    reviewers = serializers.PrimaryKeyRelatedField(many=True, queryset=people(), help_text="Every named reviewer.")


class PublishSerializer(serializers.Serializer):
    public_summary = serializers.CharField(max_length=5000, help_text="What customers read.")


class LinkKindField(serializers.ChoiceField):
    """What kind of object a link names, as "app_label.model" (e.g. "dr_plans.drplan").

    The choices are the models other apps registered in incidents.links, read each time a
    serializer is made (after every app is ready).
    """

    def __init__(self, role: str, **kwargs):
        self.role = role
        super().__init__(choices=getattr(links, f"{role}s").kinds(), **kwargs)

    def to_representation(self, value):
        return f"{value.app_label}.{value.model}"


class ActionItemSerializer(serializers.ModelSerializer):
    owner = serializers.PrimaryKeyRelatedField(queryset=people(), required=False, allow_null=True)
    source_type = LinkKindField(
        "source", required=False, allow_null=True, help_text="What raised the item, e.g. dr_plans.drill. Set once."
    )
    source_id = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False, allow_null=True)
    source_label = serializers.SerializerMethodField()
    target_type = LinkKindField(
        "target",
        required=False,
        allow_null=True,
        help_text="What the item changes, e.g. dr_plans.drplan: that plan is flagged for review.",
    )
    target_id = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False, allow_null=True)
    target_label = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = ActionItem
        fields = [
            "id", "title", "details", "owner", "due_date", "priority", "kind", "status", "tracker_url",
            "postmortem", "source_type", "source_id", "source_label", "target_type", "target_id", "target_label",
            "overdue", "created_by", "created_at", "updated_at", "completed_at",
        ]  # fmt: skip
        read_only_fields = ["created_by", "created_at", "updated_at", "completed_at"]

    def get_source_label(self, item) -> str | None:
        return str(item.source) if item.source is not None else None

    def get_target_label(self, item) -> str | None:
        return str(item.target) if item.target is not None else None

    def get_overdue(self, item) -> bool:
        return item.is_overdue(timezone.localdate())

    def validate(self, attrs):
        for role in ("source", "target"):
            self._resolve(attrs, role)
        # A client may send the source back unchanged (PUT); it may not change it.
        source = attrs.pop("source", None) if self.instance is not None else None
        if source is not None and source != self.instance.source:
            raise serializers.ValidationError({"source_type": "An item's source does not change."})
        return attrs

    def _resolve(self, attrs: dict, role: str) -> None:
        """Replace ROLE_type and ROLE_id by the object they name, under ROLE (None: no link)."""
        kind_field, id_field = f"{role}_type", f"{role}_id"
        if kind_field not in attrs and id_field not in attrs:
            return
        kind, pk = attrs.pop(kind_field, None), attrs.pop(id_field, None)
        if (kind is None) != (pk is None):
            missing = id_field if pk is None else kind_field
            raise serializers.ValidationError({missing: f"Give {kind_field} and {id_field} together."})
        try:
            attrs[role] = None if kind is None else getattr(links, f"{role}s").resolve(kind, pk)
        except LookupError as exc:
            raise serializers.ValidationError({id_field: str(exc)}) from exc


class ActionItemFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ActionItem.Status.choices, required=False, help_text="Only this status.")
    owner = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID, help_text="Only this owner's.")
    postmortem = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="Only this post-mortem's."
    )
