from rest_framework import serializers

from dr_plans.models import DRPlan


class DRPlanSerializer(serializers.ModelSerializer):
    class Meta:
        model = DRPlan
        fields = [
            "id", "name", "description", "components", "owner", "rto_minutes", "rpo_minutes",
            "review_every_days", "status", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]
