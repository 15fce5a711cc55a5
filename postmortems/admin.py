from django.contrib import admin

from .models import ActionItem, PostMortem, PostMortemReview, PostMortemTimelineEntry, ReportDigest


class TimelineInline(admin.TabularInline):
    model = PostMortemTimelineEntry
    fields = ["at", "text", "public"]
    extra = 0


class ReviewInline(admin.TabularInline):
    model = PostMortemReview
    raw_id_fields = ["reviewer"]
    readonly_fields = ["signed_at"]
    extra = 0


@admin.register(PostMortem)
class PostMortemAdmin(admin.ModelAdmin):
    list_display = ["title", "incident", "status", "created_at"]
    list_filter = ["status"]
    raw_id_fields = ["incident", "author"]
    inlines = [TimelineInline, ReviewInline]
    # The workflow (sign-offs, publishing) goes through postmortems.services; the figures are drafted.
    readonly_fields = ["status", "impact", "public_summary", "published_at", "created_at"]


@admin.register(ActionItem)
class ActionItemAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "priority", "status", "owner", "due_date", "created_at"]
    list_filter = ["status", "kind", "priority"]
    search_fields = ["title", "details"]
    raw_id_fields = ["owner", "postmortem"]
    # Status moves go through postmortems.services (its transition table, completed_at); source and
    # target are generic links checked against incidents.links: both are set in the dashboard or the API.
    readonly_fields = ["status", "source_type", "source_id", "target_type", "target_id", "created_at", "completed_at"]


@admin.register(ReportDigest)
class ReportDigestAdmin(admin.ModelAdmin):
    list_display = ["name", "frequency", "enabled", "last_period_start", "last_sent_at"]
    list_filter = ["frequency", "enabled"]
    filter_horizontal = ["groups"]
    readonly_fields = ["last_period_start", "last_sent_at"]
