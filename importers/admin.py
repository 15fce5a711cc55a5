from django.contrib import admin

from .models import ImportedObject


@admin.register(ImportedObject)
class ImportedObjectAdmin(admin.ModelAdmin):
    """Read-only: rows are written by import_from; deleting one lets the next run import that object again."""

    list_display = ["source", "kind", "source_id", "content_type", "object_id", "imported_at"]
    list_filter = ["source", "kind"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
