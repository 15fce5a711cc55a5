"""A plan attached to an incident: its approved steps, copied at that moment, as a checklist.

The copy is the point (a running incident follows a snapshot, never the live plan): editing
or approving the plan later does not change a checklist in progress.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class IncidentChecklist(models.Model):
    incident = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE, related_name="dr_checklists")
    plan = models.ForeignKey("dr_plans.DRPlan", on_delete=models.CASCADE, related_name="incident_checklists")
    version = models.ForeignKey("dr_plans.PlanVersion", on_delete=models.PROTECT, related_name="+")
    attached_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    attached_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["attached_at", "id"]
        constraints = [
            # dr_plans.services.do_attach_plan relies on this: a plan is attached once per incident.
            models.UniqueConstraint(fields=["incident", "plan"], name="drchecklist_once_per_incident"),
        ]

    def __str__(self) -> str:
        return f"{self.version} on {self.incident}"


class ChecklistItem(models.Model):
    checklist = models.ForeignKey(IncidentChecklist, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField(default=0)
    section = models.CharField(max_length=100, blank=True)
    title = models.CharField(max_length=200)
    instructions = models.TextField(blank=True)
    command = models.TextField(blank=True)
    link = models.URLField(max_length=500, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    done_by_label = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["checklist", "position", "id"]

    def __str__(self) -> str:
        return self.title
