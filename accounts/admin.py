from django.contrib import admin

from vigil.privacy import SensitiveAdminMixin

from .models import ServiceKey


@admin.register(ServiceKey)
class ServiceKeyAdmin(SensitiveAdminMixin, admin.ModelAdmin):
    """To look keys up. Made and revoked on the Service keys page or the API (accounts.services), which
    keep the key's account and permissions in step with it: nothing is edited here."""

    list_display = ["name", "team", "scope", "prefix", "user", "expires_at", "last_used_at", "revoked_at"]
    list_filter = ["scope", "team", "revoked_at"]
    search_fields = ["name", "prefix", "user__username", "team__name"]
    hidden_fields = ("hashed_key",)  # as for personal keys: the prefix tells keys apart

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
