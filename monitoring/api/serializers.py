from rest_framework import serializers

from monitoring.models import Monitor


class MonitorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Monitor
        fields = ["id", "name", "kind", "target", "interval_seconds", "component", "state", "created_at"]
        read_only_fields = ["state", "created_at"]

    def validate(self, attrs):
        kind = attrs.get("kind", getattr(self.instance, "kind", Monitor.Kind.HTTP))
        target = attrs.get("target", getattr(self.instance, "target", ""))
        if kind != Monitor.Kind.HEARTBEAT and not target:
            raise serializers.ValidationError({"target": "This kind of monitor needs a target."})
        return attrs
