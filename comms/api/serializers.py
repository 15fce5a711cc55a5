from rest_framework import serializers

from comms.models import Stakeholder, StakeholderGroup


class StakeholderGroupSerializer(serializers.ModelSerializer):
    class Meta:
        model = StakeholderGroup
        fields = ["id", "name", "description"]


class StakeholderSerializer(serializers.ModelSerializer):
    class Meta:
        model = Stakeholder
        fields = ["id", "name", "organisation", "kind", "email", "phone", "groups", "created_at"]
        read_only_fields = ["created_at"]
