from django.contrib import admin

from .models import Stakeholder, StakeholderGroup


@admin.register(StakeholderGroup)
class StakeholderGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "description"]
    search_fields = ["name"]


@admin.register(Stakeholder)
class StakeholderAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation", "kind", "email", "phone"]
    list_filter = ["kind", "groups"]
    search_fields = ["name", "organisation", "email", "phone"]
    filter_horizontal = ["groups"]
