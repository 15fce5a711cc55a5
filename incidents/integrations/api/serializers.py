from rest_framework import serializers

from incidents.models import Alert, ChangeEvent, Component, Integration

# The largest id a bigint column holds: a larger one would be a database error, not a 400.
MAX_ID = 2**63 - 1


class IntegrationSerializer(serializers.ModelSerializer):
    components = serializers.PrimaryKeyRelatedField(many=True, queryset=Component.objects.all(), required=False)
    firing_alerts = serializers.SerializerMethodField()
    ingest_url = serializers.SerializerMethodField(help_text="The URL to post alerts to. Admins only; null for others.")
    token = serializers.SerializerMethodField(help_text="The secret in the URL. Admins only; null for others.")

    class Meta:
        model = Integration
        fields = [
            "id", "name", "kind", "team", "enabled", "severity", "components", "escalation_policy", "auto_resolve",
            "ingest_url", "token", "firing_alerts", "created_at", "last_received_at",
        ]  # fmt: skip
        read_only_fields = ["created_at", "last_received_at"]

    def _may_see_secret(self) -> bool:
        request = self.context.get("request")
        return bool(request and request.user.has_perm("incidents.change_integration"))

    def get_token(self, integration) -> str | None:
        return integration.token if self._may_see_secret() else None

    def get_ingest_url(self, integration) -> str | None:
        return integration.get_ingest_url() if self._may_see_secret() else None

    def get_firing_alerts(self, integration) -> int:
        count = getattr(integration, "firing", None)
        if count is None:
            count = integration.alerts.filter(status=Alert.Status.FIRING).count()
        return count


class IntegrationUpdateSerializer(IntegrationSerializer):
    """The kind is fixed once made: it is the sender's format, and it is part of the URL."""

    class Meta(IntegrationSerializer.Meta):
        read_only_fields = [*IntegrationSerializer.Meta.read_only_fields, "kind"]


class AlertSerializer(serializers.ModelSerializer):
    labels = serializers.DictField(child=serializers.CharField(allow_blank=True), read_only=True)
    annotations = serializers.DictField(child=serializers.CharField(allow_blank=True), read_only=True)

    class Meta:
        model = Alert
        fields = [
            "id", "integration", "fingerprint", "group_key", "status", "title", "labels", "annotations",
            "source_url", "incident", "starts_at", "ends_at", "received_count", "last_received_at",
        ]  # fmt: skip
        read_only_fields = fields


class AlertFilterSerializer(serializers.Serializer):
    """The alert list's query parameters, checked before they reach the database."""

    status = serializers.ChoiceField(
        choices=Alert.Status.choices, required=False, allow_blank=True, help_text="Only alerts with this status."
    )
    integration = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="Only alerts of this integration (its id)."
    )


class IntegrationRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Integration
        fields = ["id", "name"]
        read_only_fields = fields


class ChangeEventSerializer(serializers.ModelSerializer):
    integration = IntegrationRefSerializer(read_only=True)
    links = serializers.ListField(child=serializers.DictField(child=serializers.CharField()), read_only=True)

    class Meta:
        model = ChangeEvent
        fields = ["id", "integration", "summary", "source", "timestamp", "custom_details", "links", "received_at"]
        read_only_fields = fields


class ChangeFilterSerializer(serializers.Serializer):
    """The change list's query parameters, checked before they reach the database."""

    integration = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="Only changes sent by this integration (its id)."
    )
    component = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_ID,
        help_text="Only changes sent by the integrations attached to this component (its id).",
    )
    since = serializers.DateTimeField(
        required=False, help_text="Only changes at or after this time (ISO 8601, e.g. 2025-05-01T12:00:00Z)."
    )
    until = serializers.DateTimeField(
        required=False, help_text="Only changes at or before this time (ISO 8601, e.g. 2025-05-01T14:00:00Z)."
    )

    def validate(self, data):
        if "since" in data and "until" in data and data["since"] > data["until"]:
            raise serializers.ValidationError({"until": "Must not be before `since`."})
        return data
