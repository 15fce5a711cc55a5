from django.contrib import admin

from vigil.managed import ManagedByConfigAdmin

from .models import DRPlan


@admin.register(DRPlan)
class DRPlanAdmin(ManagedByConfigAdmin, admin.ModelAdmin):
    list_display = ["name", "status", "rto_minutes", "rpo_minutes", "review_every_days", "owner"]
    list_filter = ["status"]
    search_fields = ["name", "description"]
    filter_horizontal = ["components"]
