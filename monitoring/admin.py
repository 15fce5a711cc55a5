from django import forms
from django.contrib import admin, messages
from django.utils import timezone

from vigil.audit import Actor
from vigil.managed import ManagedByConfigAdmin
from vigil.privacy import SensitiveAdminMixin

from . import locations, redundancy, services
from .models import Location, MaintenanceWindow, Monitor, RedundancyGroup

STATE_FIELDS = [
    "state", "state_changed_at", "state_reason", "flapping", "consecutive_failures", "consecutive_successes",
    "recent_outcomes", "next_check_at", "last_checked_at", "last_latency_ms", "last_failure_at",
    "last_failure_reason", "incident", "ping_token", "last_ping_at", "last_start_at", "created_at", "updated_at",
]  # fmt: skip


class MonitorAdminForm(forms.ModelForm):
    class Meta:
        model = Monitor
        fields = [*services.SETTINGS_FIELDS, "parents", "locations"]

    def clean_parents(self):
        parents = self.cleaned_data["parents"]
        services.check_parents(self.instance, parents)
        return parents


@admin.register(Monitor)
class MonitorAdmin(ManagedByConfigAdmin, SensitiveAdminMixin, admin.ModelAdmin):
    form = MonitorAdminForm
    masked_fields = ("ping_token",)  # the monitor's page shows the ping URL, and rotates it
    list_display = ["name", "kind", "target", "state", "team", "component", "interval_seconds", "last_checked_at"]
    list_filter = ["kind", "state", "component", "redundancy_group"]
    list_select_related = ["component"]
    search_fields = ["name", "target"]
    autocomplete_fields = ["parents"]
    filter_horizontal = ["locations"]
    readonly_fields = STATE_FIELDS
    show_full_result_count = False  # no second COUNT(*) over thousands of monitors
    fieldsets = [
        (None, {"fields": ["name", "kind", "target", "component", "redundancy_group", "parents", "locations"]}),
        (
            "Schedule and alerting",
            {
                "fields": [
                    "interval_seconds", "retry_interval_seconds", "failure_threshold", "recovery_threshold",
                    "timeout_seconds", "severity", "escalation_policy",
                ]
            },
        ),
        (
            "HTTP(S)",
            {
                "classes": ["collapse"],
                "fields": [
                    "method", "headers", "body", "expected_status", "keyword", "keyword_absent", "degraded_after_ms",
                    "follow_redirects", "verify_tls",
                ],
            },
        ),
        ("TCP and TLS", {"classes": ["collapse"], "fields": ["port", "warn_days", "fail_days", "check_hostname"]}),
        ("DNS", {"classes": ["collapse"], "fields": ["record_type", "expected_value", "resolver"]}),
        ("Browser steps", {"classes": ["collapse"], "fields": ["steps"]}),
        (
            "Heartbeat",
            {"classes": ["collapse"], "fields": ["period_seconds", "grace_seconds", "cron", "cron_timezone"]},
        ),
        ("State (kept by the checks)", {"classes": ["collapse"], "fields": STATE_FIELDS}),
    ]  # fmt: skip

    def save_model(self, request, obj, form, change):
        """Write the settings only: the state fields belong to the recorder, which may be saving a
        result for this monitor right now (monitoring.services does the same)."""
        if "redundancy_group" in form.changed_data:  # the groups' incident titles count their members again
            redundancy.refresh_groups_after_commit(form.initial.get("redundancy_group"), obj.redundancy_group_id)
        if change:
            changed = [name for name in form.changed_data if name in services.SETTINGS_FIELDS]
            if changed and obj.state != Monitor.State.PAUSED:
                obj.next_check_at = services.first_check_at(obj, timezone.now())  # checked soon, as edited
                changed.append("next_check_at")
            if changed:
                obj.save(update_fields=[*changed, "updated_at"])
        else:
            obj.next_check_at = services.first_check_at(obj, timezone.now())
            obj.save()


@admin.register(MaintenanceWindow)
class MaintenanceWindowAdmin(ManagedByConfigAdmin, admin.ModelAdmin):
    list_display = ["__str__", "monitor", "component", "starts_at", "ends_at", "reason", "created_by"]
    list_filter = ["component"]
    autocomplete_fields = ["monitor"]
    date_hierarchy = "starts_at"
    readonly_fields = ["created_by", "created_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


class ReplicaInline(admin.TabularInline):
    """The group's replicas, read here; a monitor joins or leaves on its own page (redundancy group)."""

    model = Monitor
    fk_name = "redundancy_group"
    fields = ["name", "kind", "component", "state"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(RedundancyGroup)
class RedundancyGroupAdmin(admin.ModelAdmin):
    """Groups of replicas: only monitors in one group are redundant (one down is "redundancy lost")."""

    list_display = ["name", "created_at"]
    search_fields = ["name"]
    readonly_fields = ["created_at"]
    inlines = [ReplicaInline]

    def save_model(self, request, obj, form, change):
        actor = Actor.from_request(request, via="admin")
        if change:
            redundancy.do_rename_redundancy_group(actor, obj, name=obj.name)
        else:
            group = redundancy.do_create_redundancy_group(actor, name=obj.name)
            obj.pk, obj.created_at, obj._state.adding = group.pk, group.created_at, False

    def delete_model(self, request, obj):
        redundancy.do_delete_redundancy_group(Actor.from_request(request, via="admin"), obj)


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    """Adding a location makes its agent token and shows it once, in the page's message."""

    list_display = ["name", "region", "is_central", "token_prefix", "last_seen_at", "version", "revoked_at"]
    fields = ["name", "region", "is_central", "token_prefix", "last_seen_at", "version", "revoked_at", "created_at"]
    readonly_fields = ["is_central", "token_prefix", "last_seen_at", "version", "revoked_at", "created_at"]
    search_fields = ["name", "region"]
    actions = ["revoke"]

    def save_model(self, request, obj, form, change):
        if change:
            obj.save()
            return
        actor = Actor.from_request(request, via="admin")
        created, token = locations.do_create_location(actor, obj.name, obj.region)
        obj.pk = created.pk
        messages.warning(request, f"The agent token for {created.name}, shown only now: {token}")

    @admin.action(description="Revoke the agent tokens of the selected locations")
    def revoke(self, request, queryset):
        actor = Actor.from_request(request, via="admin")
        for location in queryset.filter(is_central=False):
            locations.do_revoke_location(actor, location)
