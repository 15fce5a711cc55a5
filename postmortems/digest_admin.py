"""The admin of scheduled report digests (imported by postmortems.admin)."""

from django.contrib import admin

from .models import ReportDigest


@admin.register(ReportDigest)
class ReportDigestAdmin(admin.ModelAdmin):
    list_display = ["name", "frequency", "enabled", "last_period_start", "last_sent_at"]
    list_filter = ["frequency", "enabled"]
    filter_horizontal = ["groups"]
    readonly_fields = ["last_period_start", "last_sent_at"]
