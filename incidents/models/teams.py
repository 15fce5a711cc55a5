from django.conf import settings
from django.db import models


class Team(models.Model):
    """People who own components, schedules and escalation policies."""

    name = models.CharField(max_length=100, unique=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="teams")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
