"""The backups inventory, held to the RPO of the plans that rely on each backup."""

from datetime import datetime, timedelta

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse

from .plans import A_YEAR, TEN_YEARS_IN_DAYS


class Backup(models.Model):
    system = models.CharField(max_length=150, help_text="e.g. 'Primary PostgreSQL'.")
    contents = models.CharField("What is backed up", max_length=300)
    method = models.CharField(max_length=150, help_text="e.g. 'pg_dump', 'WAL archiving', 'EBS snapshot'.")
    frequency_minutes = models.PositiveIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(A_YEAR)], help_text="Minutes between runs."
    )
    retention_days = models.PositiveIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(TEN_YEARS_IN_DAYS)]
    )
    location = models.CharField(max_length=300)
    plans = models.ManyToManyField("dr_plans.DRPlan", blank=True, related_name="backups")
    last_success_at = models.DateTimeField("Last successful backup", null=True, blank=True)
    last_restore_verified_at = models.DateTimeField("Last verified restore", null=True, blank=True)
    last_restore_minutes = models.PositiveIntegerField(
        "Restore took (minutes)", null=True, blank=True, validators=[MaxValueValidator(A_YEAR)]
    )

    class Meta:
        ordering = ["system", "contents"]

    def __str__(self) -> str:
        return f"{self.system}: {self.contents}"

    def get_absolute_url(self) -> str:
        return reverse("dr_plans:backup_edit", args=[self.pk])

    def misses_rpo(self, rpo_minutes: int) -> bool:
        """A backup taken every N minutes can lose up to N minutes of data: more than the RPO fails it."""
        return self.frequency_minutes > rpo_minutes

    def plans_missed(self) -> list:
        """The plans (prefetched as `plans`) whose RPO this backup's frequency cannot meet."""
        return [plan for plan in self.plans.all() if self.misses_rpo(plan.rpo_minutes)]

    def restore_is_stale(self, now: datetime, max_age_days: int) -> bool:
        """No restore verified within MAX_AGE_DAYS: nobody knows the backup can be restored."""
        if self.last_restore_verified_at is None:
            return True
        return now - self.last_restore_verified_at > timedelta(days=max_age_days)

    def is_late(self, now: datetime) -> bool:
        """A run was missed: the last success is older than twice the frequency (or there is none)."""
        if self.last_success_at is None:
            return True
        return now - self.last_success_at > timedelta(minutes=2 * self.frequency_minutes)
