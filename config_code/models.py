from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone


class ManagedObject(models.Model):
    """An object the configuration files manage, under the key its author chose.

    The row is what lets a renamed object keep its identity (the key, not the name, finds it),
    what `--prune` may delete (only rows with origin CREATED: config never deletes what a person
    made in the dashboard, even after `vigil_export` handed it to config), and what marks an
    object "Managed by config". The unique (kind, key) is what keeps two applies from recording
    one key twice; applies are serialized anyway (config_code.apply.applying).
    """

    class Origin(models.TextChoices):
        CREATED = "created", "Created by config"
        ADOPTED = "adopted", "Adopted by vigil_export"

    kind = models.CharField(max_length=40, help_text='The section of the file, e.g. "monitors".')
    key = models.CharField(max_length=100)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.CharField(max_length=40)
    target = GenericForeignKey("content_type", "object_id")
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.CREATED)
    source_hash = models.CharField(max_length=64, blank=True, help_text="SHA-256 of the definition last applied.")
    applied_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "key"]
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="managed_object_key_once")]
        indexes = [models.Index(fields=["content_type", "object_id"], name="managed_object_target_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"


class ApplyLock(models.Model):
    """One row, updated first thing in every apply's transaction, so two applies never interleave.

    The UPDATE takes a row lock on PostgreSQL and the write lock on SQLite: the second apply waits
    there until the first commits, then plans again against what the first wrote
    (config_code.apply.applying relies on this)."""

    last_applied_at = models.DateTimeField(null=True, blank=True)
    last_applied_by = models.CharField(max_length=150, blank=True)

    def __str__(self) -> str:
        return f"apply lock (last taken {self.last_applied_at} by {self.last_applied_by})"
