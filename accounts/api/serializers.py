from rest_framework import serializers

from accounts.models import ServiceKey
from accounts.scopes import WRITABLE_KINDS
from incidents.models import Team


class KindsField(serializers.MultipleChoiceField):
    """A set of kinds, shown sorted. (Not a ListField of choices: its errors name `kinds.0`, which the
    schema's error shapes cannot describe.)"""

    def to_representation(self, value):
        return sorted(super().to_representation(value))


class ServiceKeySerializer(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(slug_field="name", queryset=Team.objects.all())
    kinds = KindsField(
        choices=list(WRITABLE_KINDS),
        required=False,
        help_text="What a write key may add and change (model labels such as monitoring.monitor); empty for read.",
    )
    expires_at = serializers.DateTimeField(
        required=False,
        help_text="Default: VIGIL_SERVICE_KEY_DEFAULT_DAYS from now; at most VIGIL_SERVICE_KEY_MAX_DAYS.",
    )
    account = serializers.SlugRelatedField(source="user", slug_field="username", read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    active = serializers.BooleanField(source="is_active", read_only=True)

    class Meta:
        model = ServiceKey
        fields = [
            "id",
            "name",
            "team",
            "scope",
            "kinds",
            "expires_at",
            "prefix",
            "account",
            "created_by",
            "created_at",
            "last_used_at",
            "revoked_at",
            "active",
        ]
        read_only_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]


class NewServiceKeySerializer(ServiceKeySerializer):
    key = serializers.CharField(read_only=True, help_text="The key itself. Shown this once; only its hash is kept.")

    class Meta(ServiceKeySerializer.Meta):
        fields = [*ServiceKeySerializer.Meta.fields, "key"]
