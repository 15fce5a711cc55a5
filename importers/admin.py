from django.contrib import admin
from django.urls import path

from . import admin_views
from .models import ImportedObject


@admin.register(ImportedObject)
class ImportedObjectAdmin(admin.ModelAdmin):
    """Read-only: rows are written by import_from or the admin's import page (importers.admin_views);
    deleting one lets the next run import that object again."""

    list_display = ["source", "kind", "source_id", "content_type", "object_id", "imported_at"]
    list_filter = ["source", "kind"]
    change_list_template = "admin/importers/importedobject/change_list.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path("import/", self._view(admin_views.import_view), name="importers_import"),
            path("import/apply/", self._view(admin_views.apply_view), name="importers_import_apply"),
            *super().get_urls(),
        ]

    def _view(self, view):
        def with_context(request):
            context = {**self.admin_site.each_context(request), "opts": self.model._meta}
            return view(request, context)

        # The role check first: admin_view alone would send a signed-in viewer to the login page, not a 403.
        return admin_views.admin_role_required(self.admin_site.admin_view(with_context))
