"""Django admin for schedules: imported by incidents/admin.py (admin autodiscovery finds only that module).

Django's admin does not nest inlines: a schedule lists its rotations, and each
rotation's page (the "Change" link) holds its members in order.
"""

from django.contrib import admin

from incidents.models import Override, Rotation, RotationMember, Schedule, SwapRequest
from vigil.managed import ManagedByConfigAdmin
from vigil.privacy import SensitiveAdminMixin


class RotationInline(admin.TabularInline):
    model = Rotation
    extra = 0
    show_change_link = True
    fields = ["name", "starts_at", "shift_length", "shift_unit", "priority", "active_from", "active_until"]


class OverrideInline(admin.TabularInline):
    model = Override
    extra = 0
    fields = ["user", "starts_at", "ends_at", "reason", "created_by"]
    raw_id_fields = ["user", "created_by"]


@admin.register(Schedule)
class ScheduleAdmin(ManagedByConfigAdmin, SensitiveAdminMixin, admin.ModelAdmin):
    list_display = ["name", "team", "time_zone", "created_at"]
    list_filter = ["team"]
    search_fields = ["name", "description"]
    readonly_fields = ["ical_token"]
    masked_fields = ("ical_token",)  # the schedule's page shows the feed URL, and rotates it
    inlines = [RotationInline, OverrideInline]


class RotationMemberInline(admin.TabularInline):
    model = RotationMember
    extra = 1
    fields = ["position", "user"]
    ordering = ["position", "id"]


@admin.register(Rotation)
class RotationAdmin(admin.ModelAdmin):
    list_display = ["name", "schedule", "shift_length", "shift_unit", "priority", "starts_at"]
    list_filter = ["schedule", "shift_unit"]
    inlines = [RotationMemberInline]


@admin.register(Override)
class OverrideAdmin(admin.ModelAdmin):
    list_display = ["schedule", "user", "starts_at", "ends_at", "reason", "created_by"]
    list_filter = ["schedule"]
    date_hierarchy = "starts_at"
    raw_id_fields = ["user", "created_by"]


@admin.register(SwapRequest)
class SwapRequestAdmin(admin.ModelAdmin):
    list_display = ["schedule", "requester", "covering_user", "starts_at", "ends_at", "status", "decided_at"]
    list_filter = ["status", "schedule"]
    # Accepting makes the override (incidents.oncall.services.do_accept_swap): the status
    # is not edited by hand, or "accepted" could stand without its override.
    readonly_fields = ["status", "override", "decided_at", "created_at"]
