from django.contrib import admin

from .models import Component, Incident, IncidentEvent


@admin.register(Component)
class ComponentAdmin(admin.ModelAdmin):
    list_display = ["name", "group", "status", "public", "position"]
    list_filter = ["status", "public", "group"]
    search_fields = ["name", "description"]


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
    inlines = [IncidentEventInline]


@admin.register(IncidentEvent)
class IncidentEventAdmin(admin.ModelAdmin):
    list_display = ["incident", "kind", "actor_label", "public", "created_at"]
    list_filter = ["kind", "public"]
    raw_id_fields = ["incident"]
