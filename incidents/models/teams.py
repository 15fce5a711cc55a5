from django.conf import settings
from django.db import models


class Team(models.Model):
    """People who own components, schedules and escalation policies."""

    name = models.CharField(max_length=100, unique=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="teams")
    # Team admins manage the team's service keys and membership; Vigil's admins manage every team.
    admins = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="administered_teams")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
