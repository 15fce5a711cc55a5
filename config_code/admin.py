from django.contrib import admin

from vigil.audit import Actor

from .models import ManagedObject
from .services import do_release_row


@admin.register(ManagedObject)
class ManagedObjectAdmin(admin.ModelAdmin):
    """What configuration as code manages, read-only: rows are written by vigil_apply and
    vigil_export. Deleting one releases the object (config_code.services.do_release_row, audited): the
    dashboard edits it freely, and the next plan creates a new one for its key if the files keep it."""

    list_display = ["kind", "key", "target", "origin", "applied_at"]
    list_filter = ["kind", "origin"]
    search_fields = ["key"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        do_release_row(Actor.from_request(request, via="admin"), obj)

    def delete_queryset(self, request, queryset):
        actor = Actor.from_request(request, via="admin")
        for row in queryset:
            do_release_row(actor, row)
