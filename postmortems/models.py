"""What the team learned: post-mortems and the action items that come out of them (or out of DR drills).

A post-mortem is drafted from the incident's record (postmortems.drafting): its timeline,
impact figures and a blameless template of written sections, then reviewed and published.
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

    # The written sections of the blameless template, in the order they are shown and exported.
    SECTIONS = [
        ("trigger", "Trigger"),
        ("root_cause", "Root cause"),
        ("contributing_factors", "Contributing factors"),
        ("resolution", "Resolution"),
        ("went_well", "What went well"),
        ("went_poorly", "What went poorly"),
        ("got_lucky", "Where we got lucky"),
        ("lessons_learned", "Lessons learned"),
    ]

    incident = models.OneToOneField("incidents.Incident", on_delete=models.CASCADE, related_name="postmortem")
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    summary = models.TextField(blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    trigger = models.TextField(blank=True)
    root_cause = models.TextField(blank=True)
    contributing_factors = models.TextField(blank=True)
    resolution = models.TextField(blank=True)
    went_well = models.TextField("What went well", blank=True)
    went_poorly = models.TextField("What went poorly", blank=True)
    got_lucky = models.TextField("Where we got lucky", blank=True)
    lessons_learned = models.TextField(blank=True)
    # [{"why": "...", "because": "..."}, ...]: five pairs, each answering the one before.
    five_whys = models.JSONField(default=list, blank=True)
    # Figures computed from the record when drafted (postmortems.drafting.impact_figures); seconds as numbers.
    impact = models.JSONField(default=dict, blank=True)
    public_summary = models.TextField(blank=True, help_text="What customers read once it is published.")
    published_at = models.DateTimeField(null=True, blank=True)
    # Who sent it for review: a sign-off by someone else is needed to publish (postmortems.services.do_publish).
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("postmortems:detail", args=[self.pk])

    @property
    def published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def is_editable(self) -> bool:
        return self.status != self.Status.PUBLISHED

    def can_move_to(self, status: str) -> bool:
        return status in POSTMORTEM_TRANSITIONS.get(self.status, set())

    def sections(self) -> list[tuple[str, str, str]]:
        """(field, heading, text) for each written section."""
        return [(name, label, getattr(self, name)) for name, label in self.SECTIONS]

    def unsigned_reviewers(self) -> list:
        return [r.reviewer for r in self.reviews.all() if r.signed_at is None]

    def signed_by_someone_else(self) -> bool:
        """Someone other than the person who sent it for review has signed it off (true when that is unknown)."""
        return self.submitted_by_id is None or any(
            r.signed_at is not None and r.reviewer_id != self.submitted_by_id for r in self.reviews.all()
        )


# The one table of allowed status moves, checked by postmortems.services.
POSTMORTEM_TRANSITIONS: dict[str, set[str]] = {
    PostMortem.Status.DRAFT: {PostMortem.Status.IN_REVIEW},
    PostMortem.Status.IN_REVIEW: {PostMortem.Status.DRAFT, PostMortem.Status.PUBLISHED},
    PostMortem.Status.PUBLISHED: set(),
}


class PostMortemTimelineEntry(models.Model):
    """One row of a post-mortem's timeline: copied from the incident's events when drafted, then edited freely."""

    postmortem = models.ForeignKey(PostMortem, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField()
    text = models.TextField()
    public = models.BooleanField(default=False, help_text="Shown with the published post-mortem.")
    event = models.ForeignKey(
        "incidents.IncidentEvent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["at", "id"]
        verbose_name_plural = "post-mortem timeline entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.text[:60]}"


class PostMortemReview(models.Model):
    """A named reviewer of a post-mortem, and when they signed it off (None: not yet)."""

    postmortem = models.ForeignKey(PostMortem, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    signed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["postmortem", "reviewer"], name="postmortem_review_once")]

    def __str__(self) -> str:
        return f"{self.reviewer}: {'signed' if self.signed_at else 'pending'}"


class ActionItemQuerySet(models.QuerySet):
    def linked_to(self, role: str, obj) -> "ActionItemQuerySet":
        """Items whose ROLE ("source" or "target") is OBJ, e.g. every item a drill raised."""
        content_type = ContentType.objects.get_for_model(obj)
        return self.filter(**{f"{role}_type": content_type, f"{role}_id": obj.pk})

    def still_open(self) -> "ActionItemQuerySet":
        return self.filter(status__in=ActionItem.OPEN_STATUSES)

    def overdue(self, today: date) -> "ActionItemQuerySet":
        """Not closed and past their due date: the same rule as ActionItem.is_overdue, in SQL."""
        return self.still_open().filter(due_date__lt=today)


class ActionItem(models.Model):
    """Something to do so the outage (or what a drill found) does not happen again, tracked to done.

    It may belong to a post-mortem, come from a source in another app (a DR drill), and
    target something to change (a DR plan: "update step 4"). Source and target are generic
    links to models registered in incidents.links, because this app imports none of those apps.
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

    OPEN_STATUSES = (Status.OPEN, Status.IN_PROGRESS)

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
        return self.status not in self.OPEN_STATUSES

    def is_overdue(self, today: date) -> bool:
        return not self.is_closed and self.due_date is not None and self.due_date < today


class ActionItemReminder(models.Model):
    """A reminder mailed to an item's owner (postmortems.reminders). The row is written in the same
    transaction as the outbox row, and its unique key is what keeps a re-run of the beat task (or two
    workers at once) from mailing twice."""

    class Kind(models.TextChoices):
        DUE = "due", "Due soon"
        OVERDUE = "overdue", "Overdue"

    item = models.ForeignKey(ActionItem, on_delete=models.CASCADE, related_name="reminders")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=7, choices=Kind.choices)
    # The due date reminded of: moving the date earns a new reminder for the new one.
    due_date = models.DateField()
    # Overdue reminders repeat every VIGIL_ACTION_ITEM_OVERDUE_EVERY_DAYS: 0 is the first, 1 the next...
    sequence = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-sent_at", "-id"]
        constraints = [
            # postmortems.reminders.send_reminders relies on this to remind once per step.
            models.UniqueConstraint(
                fields=["item", "recipient", "kind", "due_date", "sequence"], name="actionitemreminder_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} reminder for {self.item} to {self.recipient}"


# The one table of allowed status moves, checked by postmortems.services.do_update_action_item.
ACTION_ITEM_TRANSITIONS: dict[str, set[str]] = {
    ActionItem.Status.OPEN: {ActionItem.Status.IN_PROGRESS, ActionItem.Status.DONE, ActionItem.Status.WONT_DO},
    ActionItem.Status.IN_PROGRESS: {ActionItem.Status.OPEN, ActionItem.Status.DONE, ActionItem.Status.WONT_DO},
    ActionItem.Status.DONE: {ActionItem.Status.OPEN},
    ActionItem.Status.WONT_DO: {ActionItem.Status.OPEN},
}


class ReportDigest(models.Model):
    """A weekly or monthly mail of the reports to chosen stakeholder groups (postmortems.digest)."""

    class Frequency(models.TextChoices):
        WEEKLY = "weekly", "Weekly (Monday to Sunday, UTC)"
        MONTHLY = "monthly", "Monthly (calendar month, UTC)"

    name = models.CharField(max_length=100, unique=True)
    frequency = models.CharField(max_length=7, choices=Frequency.choices, default=Frequency.WEEKLY)
    groups = models.ManyToManyField(
        "comms.StakeholderGroup", related_name="report_digests", help_text="Every member with an email hears it."
    )
    enabled = models.BooleanField(default=True)
    # The start of the last period sent. postmortems.digest.send_digest claims a period by moving this
    # forward with a conditional UPDATE, so two workers (or a repeated task) send a period once.
    last_period_start = models.DateTimeField(null=True, blank=True, editable=False)
    last_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_frequency_display()})"
