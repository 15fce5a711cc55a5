from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from incidents.models import Component
from monitoring.models import CheckResult, Location, MaintenanceWindow, Monitor, RedundancyGroup, StateChange
from monitoring.redundancy import redundancy_of
from monitoring.services import SETTINGS_FIELDS
from vigil.privacy import SensitiveFieldsMixin
from vigil_probes import State as ProbeState

PROBE_STATES = [state.value for state in ProbeState]
OUTCOMES = {value: label.lower() for value, label in CheckResult.Outcome.choices}
STATE_FIELDS = [
    "state", "state_changed_at", "state_reason", "flapping", "consecutive_failures", "consecutive_successes",
    "next_check_at", "last_checked_at", "last_latency_ms", "last_failure_at", "last_failure_reason", "incident",
    "last_ping_at", "last_start_at",
]  # fmt: skip


class RedundancySerializer(serializers.Serializer):
    up = serializers.IntegerField(help_text="Replicas of the group not confirmed down (paused ones not counted).")
    total = serializers.IntegerField(help_text="Replicas of the group being watched.")
    label = serializers.CharField(help_text='E.g. "2 of 3 monitors up".')


class MonitorSerializer(SensitiveFieldsMixin, serializers.ModelSerializer):
    """A monitor: its settings (those of other kinds are kept but unused), and its state, read-only.

    Settings are validated by the model (the probe engine's checks): a bad one is a 400 naming it.
    """

    parents = serializers.PrimaryKeyRelatedField(
        many=True, required=False, queryset=Monitor.objects.all(), help_text="Ids of the monitors this one depends on."
    )
    redundancy = serializers.SerializerMethodField(
        help_text="How many replicas of the monitor's redundancy group are up; null outside a group."
    )
    ping_url = serializers.SerializerMethodField(help_text="Heartbeats: the URL the job calls; null for other kinds.")
    locations = serializers.SlugRelatedField(
        many=True,
        required=False,
        slug_field="name",
        queryset=Location.objects.filter(revoked_at__isnull=True),
        help_text="Names of the locations it is checked from; empty: every location (the central install "
        '"central" and each probe agent).',
    )

    class Meta:
        model = Monitor
        fields = [
            "id",
            *SETTINGS_FIELDS,
            "parents",
            "locations",
            *STATE_FIELDS,
            "redundancy",
            "ping_url",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [*STATE_FIELDS, "created_at", "updated_at"]
        # vigil.privacy: credentials may sit in any of these; viewers see them masked.
        sensitive_fields = ["target", "headers", "body", "steps", "ping_url"]

    def validate_headers(self, value):
        return {} if value is None else value  # null means no headers, as an empty box in the form

    @extend_schema_field(RedundancySerializer(allow_null=True))
    def get_redundancy(self, monitor: Monitor):
        redundancy = redundancy_of(monitor)
        if redundancy is None:
            return None
        return {"up": redundancy.up, "total": redundancy.total, "label": str(redundancy)}

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_ping_url(self, monitor: Monitor) -> str | None:
        return settings.VIGIL_BASE_URL + monitor.ping_url if monitor.is_heartbeat else None


class MonitorFilterSerializer(serializers.Serializer):
    """Filters of the monitor list."""

    state = serializers.ChoiceField(choices=Monitor.State.choices, required=False)
    kind = serializers.ChoiceField(choices=Monitor.Kind.choices, required=False)
    component = serializers.PrimaryKeyRelatedField(queryset=Component.objects.all(), required=False)
    search = serializers.CharField(required=False, max_length=200, help_text="Part of the name or the target.")


class CheckResultSerializer(serializers.ModelSerializer):
    outcome = serializers.SerializerMethodField()
    location = serializers.SerializerMethodField(
        help_text='Where the check ran: "central" or a probe agent\'s location.'
    )

    class Meta:
        model = CheckResult
        fields = ["id", "checked_at", "outcome", "latency_ms", "status_code", "reason", "location"]

    @extend_schema_field(serializers.ChoiceField(choices=PROBE_STATES))
    def get_outcome(self, result: CheckResult) -> str:
        return OUTCOMES[result.outcome]

    def get_location(self, result: CheckResult) -> str:
        return result.location.name if result.location_id else "central"


class LocationStatusSerializer(serializers.Serializer):
    """What one location sees of a monitor (monitoring.confirmation.per_location)."""

    location = serializers.CharField()
    region = serializers.CharField()
    central = serializers.BooleanField(help_text="The central install's own probe workers.")
    state = serializers.ChoiceField(choices=[*PROBE_STATES, "pending"], help_text="Its latest check's outcome.")
    reason = serializers.CharField()
    latency_ms = serializers.FloatField(allow_null=True)
    checked_at = serializers.DateTimeField(allow_null=True)
    counted = serializers.BooleanField(help_text="Whether its latest check is recent enough to count (the window).")
    uptime_24h = serializers.FloatField(allow_null=True, help_text="Share of its checks not down, last 24 hours, %.")
    avg_latency_ms_24h = serializers.FloatField(allow_null=True)
    checks_24h = serializers.IntegerField()


class TimeFilterSerializer(serializers.Serializer):
    since = serializers.DateTimeField(required=False, help_text="From this time on.")
    until = serializers.DateTimeField(required=False, help_text="Before this time.")


class ResultFilterSerializer(TimeFilterSerializer):
    outcome = serializers.ChoiceField(choices=PROBE_STATES, required=False)


class StateChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = StateChange
        fields = ["id", "at", "from_state", "to_state", "reason"]


class UptimeSerializer(serializers.Serializer):
    """Share of the monitored time the monitor was not down (0 to 1); null when it was not watched."""

    uptime_24h = serializers.FloatField(allow_null=True)
    uptime_7d = serializers.FloatField(allow_null=True)
    uptime_30d = serializers.FloatField(allow_null=True)
    uptime_90d = serializers.FloatField(allow_null=True)


class ProbeResultSerializer(serializers.Serializer):
    """What one probe found just now. Not recorded: it moves neither state nor uptime."""

    ok = serializers.BooleanField()
    # Named as a check result's outcome: the same three values, the same word.
    outcome = serializers.ChoiceField(source="state", choices=PROBE_STATES)
    latency_ms = serializers.FloatField()
    status_code = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField()
    details = serializers.DictField()
    checked_at = serializers.DateTimeField()


class MaintenanceWindowSerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    active = serializers.SerializerMethodField(help_text="In force now.")

    class Meta:
        model = MaintenanceWindow
        fields = ["id", "monitor", "component", "starts_at", "ends_at", "reason", "active", "created_by", "created_at"]
        read_only_fields = ["created_at"]

    def get_active(self, window: MaintenanceWindow) -> bool:
        return window.is_active()


class MaintenanceFilterSerializer(serializers.Serializer):
    monitor = serializers.PrimaryKeyRelatedField(queryset=Monitor.objects.all(), required=False)
    component = serializers.PrimaryKeyRelatedField(queryset=Component.objects.all(), required=False)
    current = serializers.BooleanField(required=False, help_text="Only windows in force now or still to come.")


class RedundancyGroupSerializer(serializers.ModelSerializer):
    """A named group of replicas: monitors that stand in for each other. Monitors join it through their
    redundancy_group setting; only monitors in one group are redundant (sharing a component is not)."""

    monitors = serializers.PrimaryKeyRelatedField(many=True, read_only=True, help_text="Ids of the replicas.")
    redundancy = serializers.SerializerMethodField(help_text="How many watched replicas are up; null when none is.")

    class Meta:
        model = RedundancyGroup
        fields = ["id", "name", "monitors", "redundancy", "created_at"]
        read_only_fields = ["created_at"]

    @extend_schema_field(RedundancySerializer(allow_null=True))
    def get_redundancy(self, group: RedundancyGroup):
        redundancy = self.context.get("redundancy", {}).get(group.pk)
        if redundancy is None:
            return None
        return {"up": redundancy.up, "total": redundancy.total, "label": str(redundancy)}
