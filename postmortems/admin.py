from django.contrib import admin

from .models import PostMortem


@admin.register(PostMortem)
class PostMortemAdmin(admin.ModelAdmin):
    list_display = ["title", "incident", "status", "created_at"]
    list_filter = ["status"]
    raw_id_fields = ["incident"]
