"""What the team learned: post-mortems and the action items that come out of them (or out of DR drills).

Auto-drafting arrives with the post-mortems issue.
"""

from datetime import date

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.urls import reverse
from django.utils import timezone


class PostMortem(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        PUBLISHED = "published", "Published"

    incident = models.OneToOneField("incidents.Incident", on_delete=models.CASCADE, related_name="postmortem")
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    summary = models.TextField(blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class ActionItemQuerySet(models.QuerySet):
    def linked_to(self, role: str, obj) -> "ActionItemQuerySet":
        """Items whose ROLE ("source" or "target") is OBJ, e.g. every item a drill raised."""
        content_type = ContentType.objects.get_for_model(obj)
        return self.filter(**{f"{role}_type": content_type, f"{role}_id": obj.pk})


class ActionItem(models.Model):
    """Something to do so the outage (or what a drill found) does not happen again, tracked to done.

    It may belong to a post-mortem, come from a source in another app (a DR drill), and
    target something to change (a DR plan: "update step 4"). Source and target are generic
    links to models registered in postmortems.links, because those apps sit below this one.
    """

    class Kind(models.TextChoices):
        PREVENT = "prevent", "Prevent"
        MITIGATE = "mitigate", "Mitigate"
        DETECT = "detect", "Detect"
        PROCESS = "process", "Process"

    class Priority(models.TextChoices):
        HIGH = "high", "High"
        MEDIUM = "medium", "Medium"
        LOW = "low", "Low"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        WONT_DO = "wont_do", "Won't do"

    title = models.CharField(max_length=200)
    details = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="action_items"
    )
    due_date = models.DateField(null=True, blank=True)
    priority = models.CharField(max_length=6, choices=Priority.choices, default=Priority.MEDIUM)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.PREVENT)
    status = models.CharField(max_length=11, choices=Status.choices, default=Status.OPEN)
    tracker_url = models.URLField(
        "External tracker", max_length=500, blank=True, help_text="The ticket in Jira, GitHub, Linear..."
    )
    postmortem = models.ForeignKey(
        PostMortem, null=True, blank=True, on_delete=models.SET_NULL, related_name="action_items"
    )
    source_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    source_id = models.PositiveBigIntegerField(null=True, blank=True)
    source = GenericForeignKey("source_type", "source_id")
    target_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    target_id = models.PositiveBigIntegerField(null=True, blank=True)
    target = GenericForeignKey("target_type", "target_id")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    objects = ActionItemQuerySet.as_manager()

    class Meta:
        ordering = [models.F("due_date").asc(nulls_last=True), "-created_at"]
        indexes = [
            # ActionItemQuerySet.linked_to: a drill's report and a plan's page list their items.
            models.Index(fields=["source_type", "source_id"], name="actionitem_source"),
            models.Index(fields=["target_type", "target_id"], name="actionitem_target"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(source_type__isnull=True, source_id__isnull=True)
                | models.Q(source_type__isnull=False, source_id__isnull=False),
                name="actionitem_source_whole",
            ),
            models.CheckConstraint(
                condition=models.Q(target_type__isnull=True, target_id__isnull=True)
                | models.Q(target_type__isnull=False, target_id__isnull=False),
                name="actionitem_target_whole",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("postmortems:action_item", args=[self.pk])

    def can_move_to(self, status: str) -> bool:
        return status in ACTION_ITEM_TRANSITIONS.get(self.status, set())

    @property
    def is_closed(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.WONT_DO)

    def is_overdue(self, today: date) -> bool:
        return not self.is_closed and self.due_date is not None and self.due_date < today


# The one table of allowed status moves, checked by postmortems.services.do_update_action_item.
ACTION_ITEM_TRANSITIONS: dict[str, set[str]] = {
    ActionItem.Status.OPEN: {ActionItem.Status.IN_PROGRESS, ActionItem.Status.DONE, ActionItem.Status.WONT_DO},
    ActionItem.Status.IN_PROGRESS: {ActionItem.Status.OPEN, ActionItem.Status.DONE, ActionItem.Status.WONT_DO},
    ActionItem.Status.DONE: {ActionItem.Status.OPEN},
    ActionItem.Status.WONT_DO: {ActionItem.Status.OPEN},
}
