from django.contrib import admin

from .models import ApiKey, AuditEntry, WorkerHeartbeat
from .privacy import SensitiveAdminMixin


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor_label", "action", "target_label", "ip", "via"]
    list_filter = ["action", "via"]
    search_fields = ["actor_label", "action", "target_label", "ip"]
    date_hierarchy = "created_at"

    # The audit log is append-only, here as everywhere.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApiKey)
class ApiKeyAdmin(SensitiveAdminMixin, admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "user__username", "prefix"]
    readonly_fields = ["prefix", "hashed_key", "created_at", "last_used_at"]
    hidden_fields = ("hashed_key",)  # the prefix tells keys apart; the hash is of no use to a reader

    def has_add_permission(self, request):
        return False  # keys are created in the dashboard or with `manage.py createapikey`, which show them once


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["hostname", "last_seen", "beats", "pid"]
