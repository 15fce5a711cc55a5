"""Django admin for scheduled maintenance and the status page's branding (registered from CommsConfig.ready()).

Maintenance changes go through comms.status.services, as in the dashboard: a save from the admin
moves components in and out of maintenance and leaves the public updates, like any other.
"""

from django import forms
from django.contrib import admin, messages

from comms.models import MaintenanceStatus, MaintenanceUpdate, ScheduledMaintenance, StatusPageBranding
from vigil.audit import Actor
from vigil.managed import ManagedByConfigAdmin

from . import services
from .forms import BrandingForm, MaintenanceForm


class MaintenanceAdminForm(forms.ModelForm):
    """The dashboard form's fields with the admin's own widgets; the model's clean() checks the window."""

    class Meta:
        model = ScheduledMaintenance
        fields = MaintenanceForm.Meta.fields


class MaintenanceUpdateInline(admin.TabularInline):
    model = MaintenanceUpdate
    extra = 0
    fields = ["created_at", "status", "message"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ScheduledMaintenance)
class ScheduledMaintenanceAdmin(admin.ModelAdmin):
    form = MaintenanceAdminForm
    filter_horizontal = ["components"]
    list_display = ["title", "status", "starts_at", "ends_at"]
    list_filter = ["status"]
    search_fields = ["title", "message"]
    readonly_fields = ["status", "started_at", "completed_at", "created_by", "created_at"]
    inlines = [MaintenanceUpdateInline]
    actions = ["start_now", "complete_now"]

    def save_model(self, request, obj, form, change):
        actor = Actor.from_request(request)
        values = {name: form.cleaned_data[name] for name in MaintenanceForm.Meta.fields}
        if change:
            # The form set the new values on OBJ, unsaved; the action compares them with the stored row.
            services.do_change_maintenance(actor, obj, **values)
        else:
            created = services.do_schedule_maintenance(actor, **values)
            obj.pk, obj._state.adding = created.pk, False

    def save_related(self, request, form, formsets, change):
        # Components were set by the action (it moves them in and out of maintenance); the inline
        # of updates is read-only, saved only for the admin's change message.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request, obj):
        services.do_cancel_maintenance(Actor.from_request(request), obj)

    def delete_queryset(self, request, queryset):
        for maintenance in queryset:
            services.do_cancel_maintenance(Actor.from_request(request), maintenance)

    @admin.action(description="Start now", permissions=["change"])
    def start_now(self, request, queryset):
        self._move(request, queryset, MaintenanceStatus.IN_PROGRESS)

    @admin.action(description="Complete now", permissions=["change"])
    def complete_now(self, request, queryset):
        self._move(request, queryset, MaintenanceStatus.COMPLETED)

    def _move(self, request, queryset, status):
        for maintenance in queryset:
            try:
                services.do_move_maintenance(Actor.from_request(request), maintenance, status)
            except services.MaintenanceError as exc:
                self.message_user(request, f"{maintenance}: {exc}", messages.ERROR)


@admin.register(StatusPageBranding)
class StatusPageBrandingAdmin(ManagedByConfigAdmin, admin.ModelAdmin):
    form = BrandingForm
    list_display = ["name", "accent_colour", "support_contact"]
    readonly_fields = ["page_id", "updated_at"]

    def has_add_permission(self, request):
        return not StatusPageBranding.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
