"""What a scripted browser check saw (kind "browser"): each step's time and, when it failed, where,
with a screenshot and the page's console errors. One row per check, beside its CheckResult, and
purged with the results (monitoring.rollups.purge, VIGIL_RESULT_RETENTION_DAYS).

Screenshots are the bulk (tens of KB each): a failing monitor keeps the picture of the run that
began the failure and of its latest run, not one per retry (monitoring.browser_runs).
"""

from django.db import models


class BrowserRun(models.Model):
    id = models.BigAutoField(primary_key=True)
    monitor = models.ForeignKey("monitoring.Monitor", on_delete=models.CASCADE, related_name="browser_runs")
    location = models.ForeignKey("monitoring.Location", null=True, blank=True, on_delete=models.CASCADE)
    checked_at = models.DateTimeField()
    ok = models.BooleanField()
    reason = models.CharField(max_length=300, blank=True)
    steps = models.JSONField(default=list, help_text='Steps done, in order: [{"name": ..., "ms": ...}].')
    failed_step = models.CharField(max_length=100, blank=True)
    console_errors = models.JSONField(default=list)
    screenshot = models.BinaryField(null=True, blank=True, help_text="PNG of the page when a step failed.")
    opens_failure = models.BooleanField(default=False, help_text="The first failed run after a good one.")

    class Meta:
        ordering = ["-checked_at", "-id"]
        indexes = [
            models.Index(fields=["monitor", "-checked_at"], name="browserrun_monitor_time_idx"),
            # The retention purge deletes by age.
            models.Index(fields=["checked_at"], name="browserrun_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.monitor_id} {self.checked_at:%Y-%m-%d %H:%M:%S} {'ok' if self.ok else 'failed'}"

    @property
    def total_ms(self) -> float:
        return round(sum(step.get("ms", 0) for step in self.steps), 1)
