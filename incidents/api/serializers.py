from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from incidents.models import (
    Component,
    ComponentGroup,
    ComponentStatus,
    EscalationLevel,
    EscalationPolicy,
    Incident,
    IncidentEvent,
    IncidentUpdate,
    Page,
    PublicStatus,
    Severity,
    SeverityDefinition,
    Status,
)
from incidents.services import ROLES
from vigil.people import people
from vigil.text import LineSerializerField, TextSerializerField

User = get_user_model()


class ComponentGroupSerializer(serializers.ModelSerializer):
    class Meta:
        model = ComponentGroup
        fields = ["id", "name", "description", "position", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]


class ComponentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Component
        fields = [
            "id", "name", "description", "group", "position", "public", "owner_team", "status", "slo",
            "escalation_policy", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]


class SeverityDefinitionSerializer(serializers.ModelSerializer):
    class Meta:
        model = SeverityDefinition
        fields = ["id", "level", "name", "description", "escalation_policy"]


class IncidentEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_label", read_only=True)

    class Meta:
        model = IncidentEvent
        fields = ["id", "kind", "message", "public", "actor", "created_at"]


class IncidentUpdateSerializer(serializers.ModelSerializer):
    author = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = IncidentUpdate
        fields = ["id", "status", "message", "author", "affected_components", "created_at"]


class AffectedComponentSerializer(serializers.Serializer):
    component = serializers.PrimaryKeyRelatedField(queryset=Component.objects.all())
    status = serializers.ChoiceField(choices=ComponentStatus.choices, default=ComponentStatus.PARTIAL_OUTAGE)


class IncidentSerializer(serializers.ModelSerializer):
    components = serializers.SerializerMethodField()
    commander = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    comms_lead = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    scribe = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    # Empty when there is none, so plain strings rather than URIs in the schema.
    bridge_url = serializers.CharField(read_only=True)
    chat_url = serializers.CharField(read_only=True)
    public_status = serializers.CharField(read_only=True)
    time_to_acknowledge_s = serializers.SerializerMethodField()
    time_to_resolve_s = serializers.SerializerMethodField()

    class Meta:
        model = Incident
        fields = [
            "id", "title", "summary", "severity", "status", "public_status", "impact", "source", "dedup_key",
            "components",
            "commander", "comms_lead", "scribe", "bridge_url", "chat_url", "merged_into", "escalation_policy",
            "started_at", "acknowledged_at", "identified_at", "monitoring_at", "resolved_at",
            "time_to_acknowledge_s", "time_to_resolve_s",
        ]  # fmt: skip
        read_only_fields = fields

    def get_components(self, incident) -> list[dict]:
        return [{"component": ic.component_id, "status": ic.status} for ic in incident.affected.all()]

    def get_time_to_acknowledge_s(self, incident) -> float | None:
        delta = incident.time_to_acknowledge
        return delta.total_seconds() if delta is not None else None

    def get_time_to_resolve_s(self, incident) -> float | None:
        delta = incident.time_to_resolve
        return delta.total_seconds() if delta is not None else None


class DeclareSerializer(serializers.Serializer):
    title = LineSerializerField(max_length=200)
    severity = serializers.ChoiceField(choices=Severity.choices, default=Severity.SEV3)
    summary = TextSerializerField(required=False, allow_blank=True, default="")
    components = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Component.objects.all(), required=False, default=list
    )
    dedup_key = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    escalation_policy = serializers.PrimaryKeyRelatedField(
        queryset=EscalationPolicy.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Who is paged. Left out: the default of the severity and components (a component's wins).",
    )
    paging = serializers.BooleanField(
        default=True, help_text="false: page nobody (recorded on the timeline); not with escalation_policy."
    )

    def validate(self, data):
        if not data["paging"] and data.get("escalation_policy") is not None:
            raise serializers.ValidationError({"paging": "Choose an escalation policy or no paging, not both."})
        return data


class MessageSerializer(serializers.Serializer):
    message = TextSerializerField(required=False, allow_blank=True, default="", max_length=10_000)


class NoteSerializer(serializers.Serializer):
    message = TextSerializerField(max_length=10_000)


class PostUpdateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=PublicStatus.choices)
    message = TextSerializerField(max_length=10_000)


class SeveritySerializer(serializers.Serializer):
    severity = serializers.ChoiceField(choices=Severity.choices)


class StatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=Status.choices, help_text="Any status but resolved: use the resolve action."
    )
    message = TextSerializerField(required=False, allow_blank=True, default="", max_length=10_000)


@extend_schema_field(
    {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                "component": {"type": "integer"},
                "status": {"type": "string", "enum": ComponentStatus.values, "default": ComponentStatus.PARTIAL_OUTAGE},
            },
            "required": ["component"],
        },
    }
)
class AffectedComponentsField(serializers.Field):
    """[{"component": id, "status": ...}, ...]. Errors name the item and come back on this field,
    so their `attr` is always "components" (an error per list index cannot be described in OpenAPI)."""

    default_error_messages = {"invalid": "Expected a list of {{component, status}} objects."}

    def to_internal_value(self, data):
        if not isinstance(data, list):
            self.fail("invalid")
        rows = []
        for index, item in enumerate(data):
            row = AffectedComponentSerializer(data=item)
            if not row.is_valid():
                problems = "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in row.errors.items())
                raise serializers.ValidationError(f"Item {index}: {problems}", code="invalid")
            rows.append(row.validated_data)
        return rows

    def to_representation(self, value):
        return value


class ComponentsSerializer(serializers.Serializer):
    components = AffectedComponentsField()


class RoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=list(ROLES))
    user = serializers.SlugRelatedField(slug_field="username", queryset=people(), allow_null=True)


class MergeSerializer(serializers.Serializer):
    into = serializers.PrimaryKeyRelatedField(queryset=Incident.objects.all())


class EscalationStartSerializer(serializers.Serializer):
    policy = serializers.PrimaryKeyRelatedField(queryset=EscalationPolicy.objects.all())


class PageOncallSerializer(serializers.Serializer):
    policy = serializers.PrimaryKeyRelatedField(
        queryset=EscalationPolicy.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Left out: the incident's default when it reaches someone now, else the first policy that does.",
    )


class IncidentFilterSerializer(serializers.Serializer):
    """The list's query parameters. Checked here, so an unknown value never reaches the database."""

    status = serializers.ChoiceField(
        choices=[("open", "Open (any status but resolved)"), *Status.choices],
        required=False,
        allow_blank=True,
        help_text="Only incidents with this status; `open` is every status but resolved.",
    )
    severity = serializers.ChoiceField(choices=Severity.choices, required=False, allow_blank=True)


class EscalationLevelSerializer(serializers.ModelSerializer):
    users = serializers.SlugRelatedField(slug_field="username", many=True, queryset=User.objects.all(), required=False)

    class Meta:
        model = EscalationLevel
        fields = ["id", "position", "timeout_minutes", "users", "schedules"]


class EscalationPolicySerializer(serializers.ModelSerializer):
    levels = EscalationLevelSerializer(many=True, read_only=True)

    class Meta:
        model = EscalationPolicy
        fields = ["id", "name", "description", "team", "repeat", "levels", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]


class PageSerializer(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Page
        fields = ["id", "incident", "user", "level", "step", "status", "created_at"]
