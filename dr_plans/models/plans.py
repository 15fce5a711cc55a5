"""DR plans, their runbook steps, the immutable versions approval freezes, and reviews."""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone

# Bounds that keep date arithmetic (timedelta) in range whatever a client sends.
A_YEAR = 365 * 24 * 60  # minutes
TEN_YEARS_IN_DAYS = 3650


class DRPlan(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        APPROVED = "approved", "Approved"
        RETIRED = "retired", "Retired"

    class ReviewState(models.TextChoices):
        OK = "ok", "Reviewed"
        DUE = "due", "Review due soon"
        OVERDUE = "overdue", "Review overdue"

    name = models.CharField(max_length=150, unique=True)
    team = models.ForeignKey(
        "incidents.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="dr_plans",
        help_text="The team that owns this: its responders may change it.",
    )
    description = models.TextField(blank=True)
    components = models.ManyToManyField("incidents.Component", blank=True, related_name="dr_plans")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who may approve this plan besides admins.",
    )
    rto_minutes = models.PositiveIntegerField(
        "RTO (minutes)",
        validators=[MinValueValidator(1), MaxValueValidator(A_YEAR)],
        help_text="Recovery time objective",
    )
    rpo_minutes = models.PositiveIntegerField(
        "RPO (minutes)", validators=[MaxValueValidator(A_YEAR)], help_text="Recovery point objective: data loss allowed"
    )
    review_every_days = models.PositiveIntegerField(
        default=90, validators=[MinValueValidator(1), MaxValueValidator(TEN_YEARS_IN_DAYS)]
    )
    last_reviewed_at = models.DateTimeField(null=True, blank=True, editable=False)
    vendors = models.ManyToManyField("dr_plans.Vendor", blank=True, related_name="plans")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "DR plan"
        permissions = [("approve_drplan", "Can approve any DR plan")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("dr_plans:detail", args=[self.pk])

    def can_move_to(self, status: str) -> bool:
        return status in TRANSITIONS.get(self.status, set())

    @property
    def is_editable(self) -> bool:
        return self.status != self.Status.RETIRED

    def latest_version(self) -> "PlanVersion | None":
        return self.versions.order_by("-number").first()

    @property
    def review_due_at(self) -> datetime | None:
        """When the next review is due. Only a plan in force (approved once, not retired) is reviewed."""
        if self.status == self.Status.RETIRED or self.last_reviewed_at is None:
            return None
        return self.last_reviewed_at + timedelta(days=self.review_every_days)

    def review_state(self, now: datetime, remind_days: int) -> str | None:
        due = self.review_due_at
        if due is None:
            return None
        if now >= due:
            return self.ReviewState.OVERDUE
        if now >= due - timedelta(days=remind_days):
            return self.ReviewState.DUE
        return self.ReviewState.OK

    def snapshot(self) -> dict:
        """What approval freezes: the plan's own fields and its steps, as plain data."""
        return {
            "name": self.name,
            "description": self.description,
            "rto_minutes": self.rto_minutes,
            "rpo_minutes": self.rpo_minutes,
            "review_every_days": self.review_every_days,
            "owner": self.owner.get_username() if self.owner else "",
            "components": sorted(c.name for c in self.components.all()),
            "steps": [step.as_data() for step in self.steps.all()],
        }


# The one table of allowed moves, checked by dr_plans.services before any change.
# Editing an approved plan moves it back to draft; approving freezes a version.
TRANSITIONS: dict[str, set[str]] = {
    DRPlan.Status.DRAFT: {DRPlan.Status.IN_REVIEW, DRPlan.Status.RETIRED},
    DRPlan.Status.IN_REVIEW: {DRPlan.Status.APPROVED, DRPlan.Status.DRAFT, DRPlan.Status.RETIRED},
    DRPlan.Status.APPROVED: {DRPlan.Status.DRAFT, DRPlan.Status.RETIRED},
    DRPlan.Status.RETIRED: {DRPlan.Status.DRAFT},
}


class Step(models.Model):
    """One runbook step. Steps are ordered across the whole plan; `section` groups neighbours."""

    plan = models.ForeignKey(DRPlan, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField(default=0)
    section = models.CharField(max_length=100, blank=True, help_text="e.g. 'Assess', 'Fail over', 'Verify'.")
    title = models.CharField(max_length=200)
    instructions = models.TextField(blank=True, help_text="Markdown.")
    owner_role = models.CharField(max_length=100, blank=True, help_text="Who does it, e.g. 'DBA on call'.")
    expected_minutes = models.PositiveIntegerField(default=5, validators=[MaxValueValidator(A_YEAR)])
    command = models.TextField(blank=True, help_text="A command to run, shown verbatim.")
    link = models.URLField(max_length=500, blank=True)

    class Meta:
        ordering = ["plan", "position", "id"]

    def __str__(self) -> str:
        return self.title

    def as_data(self) -> dict:
        return {
            "section": self.section,
            "title": self.title,
            "instructions": self.instructions,
            "owner_role": self.owner_role,
            "expected_minutes": self.expected_minutes,
            "command": self.command,
            "link": self.link,
        }


class FrozenQuerySet(models.QuerySet):
    """Bulk writes would bypass PlanVersion.save(); an approved version is never rewritten."""

    def update(self, **kwargs):
        raise ValidationError("An approved plan version never changes.")

    def delete(self):
        raise ValidationError("An approved plan version is never deleted.")


class PlanVersion(models.Model):
    """A plan as approved. Immutable: save() refuses to rewrite a stored row, and bulk updates refuse too."""

    plan = models.ForeignKey(DRPlan, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    snapshot = models.JSONField()
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_by_label = models.CharField(max_length=150, blank=True)
    approved_at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)

    objects = FrozenQuerySet.as_manager()

    class Meta:
        ordering = ["plan", "-number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="drplanversion_unique_number")]

    def __str__(self) -> str:
        return f"{self.plan} v{self.number}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError("An approved plan version never changes.")
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("dr_plans:version", args=[self.plan_id, self.number])

    def delete(self, *args, **kwargs):
        raise ValidationError("An approved plan version is never deleted.")

    @property
    def steps(self) -> list[dict]:
        return self.snapshot.get("steps", [])


class PlanReview(models.Model):
    """A periodic review: who looked, when, what changed. It moves the next due date."""

    plan = models.ForeignKey(DRPlan, on_delete=models.CASCADE, related_name="reviews")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_by_label = models.CharField(max_length=150, blank=True)
    reviewed_at = models.DateTimeField(default=timezone.now)
    changes = models.TextField(help_text="What changed, or 'no change'.")

    class Meta:
        ordering = ["-reviewed_at"]

    def __str__(self) -> str:
        return f"Review of {self.plan} on {self.reviewed_at:%Y-%m-%d}"


class ReviewReminder(models.Model):
    """A reminder sent. One per plan, kind and due date: a repeated sweep never reminds twice."""

    class Kind(models.TextChoices):
        DUE = "due", "Due soon"
        OVERDUE = "overdue", "Overdue"

    plan = models.ForeignKey(DRPlan, on_delete=models.CASCADE, related_name="review_reminders")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    due_at = models.DateTimeField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # dr_plans.services.send_review_reminders relies on this to remind once.
            models.UniqueConstraint(fields=["plan", "kind", "due_at"], name="drreviewreminder_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} reminder for {self.plan}"


class ReviewRequest(models.Model):
    """Something asked for this plan to be reviewed before its due date: an action item to "update step 4".

    Open until the plan's next review or approval closes it. `key` names what asked
    (e.g. "postmortems.actionitem:12"), so asking twice leaves one open request.
    """

    plan = models.ForeignKey(DRPlan, on_delete=models.CASCADE, related_name="review_requests")
    key = models.CharField(max_length=100)
    reason = models.CharField(max_length=300)
    url = models.CharField(max_length=500, blank=True, help_text="Where the request came from: a path in Vigil.")
    requested_by_label = models.CharField(max_length=150, blank=True)
    requested_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by_label = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            # dr_plans.services.do_request_review relies on this: one open request per plan and asker.
            models.UniqueConstraint(
                fields=["plan", "key"], condition=models.Q(closed_at__isnull=True), name="drreviewrequest_one_open"
            ),
        ]

    def __str__(self) -> str:
        return f"Review {self.plan}: {self.reason}"
