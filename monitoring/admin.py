from django.contrib import admin

from .models import Monitor


@admin.register(Monitor)
class MonitorAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "target", "interval_seconds", "state", "component"]
    list_filter = ["kind", "state"]
    search_fields = ["name", "target"]
