from django.contrib import admin

from .models import ManagedObject


@admin.register(ManagedObject)
class ManagedObjectAdmin(admin.ModelAdmin):
    """What configuration as code manages, read-only: rows are written by vigil_apply and
    vigil_export. Deleting one lets the object go: the next plan creates a new one for its key."""

    list_display = ["kind", "key", "target", "origin", "applied_at"]
    list_filter = ["kind", "origin"]
    search_fields = ["key"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
