from rest_framework import serializers

from incidents.models import Component, Incident, IncidentEvent, Severity, Status


class ComponentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Component
        fields = ["id", "name", "description", "group", "position", "public", "status", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]


class IncidentEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_label", read_only=True)

    class Meta:
        model = IncidentEvent
        fields = ["id", "kind", "message", "public", "actor", "created_at"]


class IncidentSerializer(serializers.ModelSerializer):
    components = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    time_to_acknowledge_s = serializers.SerializerMethodField()
    time_to_resolve_s = serializers.SerializerMethodField()

    class Meta:
        model = Incident
        fields = [
            "id", "title", "summary", "severity", "status", "impact", "source", "dedup_key", "components",
            "started_at", "acknowledged_at", "resolved_at", "time_to_acknowledge_s", "time_to_resolve_s",
        ]  # fmt: skip
        read_only_fields = ["status", "impact", "source", "started_at", "acknowledged_at", "resolved_at"]

    def get_time_to_acknowledge_s(self, incident) -> float | None:
        delta = incident.time_to_acknowledge
        return delta.total_seconds() if delta is not None else None

    def get_time_to_resolve_s(self, incident) -> float | None:
        delta = incident.time_to_resolve
        return delta.total_seconds() if delta is not None else None


class DeclareSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    severity = serializers.ChoiceField(choices=Severity.choices, default=Severity.SEV3)
    summary = serializers.CharField(required=False, allow_blank=True, default="")
    components = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Component.objects.all(), required=False, default=list
    )
    dedup_key = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class MessageSerializer(serializers.Serializer):
    message = serializers.CharField(required=False, allow_blank=True, default="", max_length=10_000)


class IncidentFilterSerializer(serializers.Serializer):
    """The list's query parameters. Checked here, so an unknown value never reaches the database."""

    status = serializers.ChoiceField(
        choices=[("open", "Open (any status but resolved)"), *Status.choices],
        required=False,
        allow_blank=True,
        help_text="Only incidents with this status; `open` is every status but resolved.",
    )
