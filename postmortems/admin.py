from django.contrib import admin

from .models import ActionItem, PostMortem


@admin.register(PostMortem)
class PostMortemAdmin(admin.ModelAdmin):
    list_display = ["title", "incident", "status", "created_at"]
    list_filter = ["status"]
    raw_id_fields = ["incident"]


@admin.register(ActionItem)
class ActionItemAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "priority", "status", "owner", "due_date", "created_at"]
    list_filter = ["status", "kind", "priority"]
    search_fields = ["title", "details"]
    raw_id_fields = ["owner", "postmortem"]
    # Status moves go through postmortems.services (its transition table, completed_at); source and
    # target are generic links checked against postmortems.links: both are set in the dashboard or the API.
    readonly_fields = ["status", "source_type", "source_id", "target_type", "target_id", "created_at", "completed_at"]
