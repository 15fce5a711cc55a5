from django.contrib import admin

from vigil.managed import ManagedByConfigAdmin
from vigil.privacy import SensitiveAdminMixin

from .models import (
    Alert,
    ChangeEvent,
    Component,
    ComponentGroup,
    EscalationLevel,
    EscalationPolicy,
    Incident,
    IncidentComponent,
    IncidentEvent,
    IncidentUpdate,
    Integration,
    Page,
    SeverityDefinition,
    Team,
)


@admin.register(Team)
class TeamAdmin(ManagedByConfigAdmin, admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]
    filter_horizontal = ["members", "admins"]


@admin.register(ComponentGroup)
class ComponentGroupAdmin(ManagedByConfigAdmin, admin.ModelAdmin):
    list_display = ["name", "position"]


@admin.register(Component)
class ComponentAdmin(ManagedByConfigAdmin, admin.ModelAdmin):
    list_display = ["name", "group", "status", "slo", "public", "position", "owner_team", "escalation_policy"]
    list_filter = ["status", "public", "group"]
    search_fields = ["name", "description"]


@admin.register(SeverityDefinition)
class SeverityDefinitionAdmin(admin.ModelAdmin):
    list_display = ["level", "name", "escalation_policy", "description"]


class IncidentComponentInline(admin.TabularInline):
    model = IncidentComponent
    extra = 0


class IncidentEventInline(admin.TabularInline):
    model = IncidentEvent
    extra = 0
    readonly_fields = ["created_at", "kind", "message", "public", "actor_label"]
    fields = readonly_fields


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "severity", "status", "source", "started_at", "resolved_at"]
    list_filter = ["status", "severity", "source"]
    search_fields = ["title", "dedup_key"]
    date_hierarchy = "started_at"
    raw_id_fields = ["merged_into"]
    inlines = [IncidentComponentInline, IncidentEventInline]


@admin.register(IncidentEvent)
class IncidentEventAdmin(admin.ModelAdmin):
    list_display = ["incident", "kind", "actor_label", "public", "created_at"]
    list_filter = ["kind", "public"]
    raw_id_fields = ["incident"]


@admin.register(IncidentUpdate)
class IncidentUpdateAdmin(admin.ModelAdmin):
    list_display = ["incident", "status", "author", "created_at"]
    list_filter = ["status"]
    raw_id_fields = ["incident"]


class EscalationLevelInline(admin.StackedInline):
    model = EscalationLevel
    extra = 1
    filter_horizontal = ["users", "schedules"]


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(ManagedByConfigAdmin, admin.ModelAdmin):
    list_display = ["name", "team", "repeat"]
    inlines = [EscalationLevelInline]


@admin.register(Page)
class PageAdmin(admin.ModelAdmin):
    list_display = ["incident", "user", "level", "status", "created_at"]
    list_filter = ["status"]
    raw_id_fields = ["incident"]


@admin.register(Integration)
class IntegrationAdmin(ManagedByConfigAdmin, SensitiveAdminMixin, admin.ModelAdmin):
    list_display = ["name", "kind", "enabled", "severity", "auto_resolve", "last_received_at"]
    list_filter = ["kind", "enabled"]
    readonly_fields = ["token"]
    masked_fields = ("token",)  # the integration's page shows its URL to admins, and rotates it


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["title", "integration", "status", "received_count", "last_received_at"]
    list_filter = ["status", "integration"]
    raw_id_fields = ["incident"]
    search_fields = ["title", "fingerprint"]


# On-call models are registered by their own module.
from .oncall import admin as oncall_admin  # noqa: E402, F401


@admin.register(ChangeEvent)
class ChangeEventAdmin(admin.ModelAdmin):
    """Read-only: a change event is a fact a tool reported; it is never added or edited by hand."""

    list_display = ["summary", "integration", "source", "timestamp"]
    list_filter = ["integration"]
    search_fields = ["summary", "source"]
    date_hierarchy = "timestamp"
    list_select_related = ["integration"]
    readonly_fields = ["integration", "summary", "source", "timestamp", "custom_details", "links", "received_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
