"""Who to call: a plan's escalation call tree and its third-party vendors.

People and vendors are comms stakeholders (name, phone, email live there once);
these rows only say where each sits in a plan.
"""

from django.core.validators import MaxValueValidator
from django.db import models


class CallTreeLevel(models.Model):
    plan = models.ForeignKey("dr_plans.DRPlan", on_delete=models.CASCADE, related_name="call_tree")
    position = models.PositiveIntegerField(default=0)
    people = models.ManyToManyField("comms.Stakeholder", related_name="+")
    escalate_after_minutes = models.PositiveIntegerField(
        default=15,
        validators=[MaxValueValidator(24 * 60)],
        help_text="Call the next level if nobody here answers within this time.",
    )
    when = models.CharField(max_length=300, blank=True, help_text="Other reasons to move on, e.g. 'data loss'.")

    class Meta:
        ordering = ["plan", "position", "id"]

    def __str__(self) -> str:
        return f"{self.plan} level {self.position + 1}"


class Vendor(models.Model):
    """A third party a recovery depends on. Its support phone and email are the stakeholder's."""

    stakeholder = models.OneToOneField("comms.Stakeholder", on_delete=models.CASCADE, related_name="dr_vendor")
    account_number = models.CharField("Account or contract number", max_length=100, blank=True)
    sla = models.CharField("SLA", max_length=200, blank=True, help_text="e.g. '1 h response, 24/7'.")
    escalation_path = models.TextField(blank=True, help_text="How to escalate with them, in order.")

    class Meta:
        ordering = ["stakeholder__organisation", "stakeholder__name"]

    def __str__(self) -> str:
        return self.stakeholder.organisation or self.stakeholder.name
