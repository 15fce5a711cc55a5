from rest_framework import serializers

from postmortems.models import PostMortem


class PostMortemSerializer(serializers.ModelSerializer):
    class Meta:
        model = PostMortem
        fields = ["id", "incident", "title", "status", "summary", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]
