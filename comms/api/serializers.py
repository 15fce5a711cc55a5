from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from comms.channels import CHANNELS
from comms.models import Endpoint, IncidentAudience, Medium, Notification, Stakeholder, StakeholderGroup
from comms.models.outbox import check_endpoint_url
from comms.phones import to_e164
from vigil.privacy import SensitiveFieldsMixin


class StakeholderGroupSerializer(serializers.ModelSerializer):
    class Meta:
        model = StakeholderGroup
        fields = ["id", "name", "description", "team"]


class StakeholderSerializer(SensitiveFieldsMixin, serializers.ModelSerializer):
    channels = serializers.MultipleChoiceField(choices=Medium.choices, required=False)
    opted_out = serializers.MultipleChoiceField(choices=Medium.choices, required=False)

    class Meta:
        model = Stakeholder
        fields = [
            "id", "name", "organisation", "kind", "email", "phone", "channels", "opted_out", "time_zone", "groups",
            "components", "created_at",
        ]  # fmt: skip
        read_only_fields = ["created_at"]
        sensitive_fields = ["email", "phone"]  # vigil.privacy: masked for viewers
        # An IANA zone name, checked by the model's validator (not ~600 values spelled out in the schema).
        extra_kwargs = {
            "phone": {"validators": []},
            "time_zone": {"help_text": "An IANA time zone, e.g. Europe/Paris."},
        }

    def validate_phone(self, value: str) -> str:
        """Any written form of a valid number is taken, and stored in E.164."""
        if not value:
            return value
        try:
            return to_e164(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None

    # MultipleChoiceField gives a set; the model keeps a list, in the order of Medium.
    def validate_channels(self, value) -> list[str]:
        return [m for m in Medium.values if m in value]

    def validate_opted_out(self, value) -> list[str]:
        return [m for m in Medium.values if m in value]


class ImportSerializer(serializers.Serializer):
    csv = serializers.CharField(max_length=5 * 1024 * 1024, trim_whitespace=False)
    dry_run = serializers.BooleanField(default=False, help_text="Only check the rows: the preview.")


class ImportRowSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    name = serializers.CharField()
    errors = serializers.ListField(child=serializers.CharField())


class ImportResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    good = serializers.IntegerField()
    bad = ImportRowSerializer(many=True)


class EndpointSerializer(SensitiveFieldsMixin, serializers.ModelSerializer):
    class Meta:
        model = Endpoint
        fields = ["id", "name", "kind", "url", "secret", "enabled", "created_at"]
        read_only_fields = ["created_at"]
        extra_kwargs = {"secret": {"write_only": True}}
        sensitive_fields = ["url"]  # vigil.privacy: a Slack URL is itself the key; admins only

    def validate(self, attrs):
        """The URL's form depends on the kind: an Apprise URL for Apprise, else http(s) (Endpoint.clean)."""
        kind = attrs.get("kind", getattr(self.instance, "kind", ""))
        url = attrs.get("url", getattr(self.instance, "url", ""))
        try:
            check_endpoint_url(kind, url)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"url": exc.messages}) from None
        return attrs


class NotificationSerializer(SensitiveFieldsMixin, serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = [
            "id", "update", "page", "stakeholder", "endpoint", "medium", "channel", "destination", "subject", "body",
            "state", "attempts", "next_attempt_at", "provider_id", "error", "created_at", "sent_at",
            "delivered_at",
        ]  # fmt: skip
        read_only_fields = fields
        # vigil.privacy: by recipient (a subscriber's or an endpoint's: admins only; others: not viewers).
        sensitive_fields = ["destination", "body", "error"]


MAX_ID = 2**63 - 1  # the largest id a BIGINT column holds


class NotificationFilterSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=Notification._meta.get_field("state").choices, required=False)
    channel = serializers.ChoiceField(choices=sorted(CHANNELS), required=False)
    update = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="An incident update's id."
    )


class ProgressQuerySerializer(serializers.Serializer):
    update = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="An update's id.")


class ProgressSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    queued = serializers.IntegerField()
    sent = serializers.IntegerField()
    delivered = serializers.IntegerField()
    bounced = serializers.IntegerField()
    failed = serializers.IntegerField()
    percent = serializers.IntegerField()
    running = serializers.BooleanField()


class RetryResultSerializer(serializers.Serializer):
    retried = serializers.IntegerField()


class IncidentAudienceSerializer(serializers.ModelSerializer):
    class Meta:
        model = IncidentAudience
        fields = ["id", "incident", "groups"]
        validators = []
