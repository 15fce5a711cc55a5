from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone


class ImportedObject(models.Model):
    """What an import made from one object of another tool, so a second run skips it.

    The unique constraint is what makes a run idempotent even when two runs overlap: the second
    one's insert fails and its transaction (the object it was creating) is rolled back
    (importers.base.Importer.apply).
    """

    source = models.CharField(max_length=60, help_text='The tool and instance, e.g. "uptime-kuma/default".')
    kind = models.CharField(max_length=40, help_text='What the source object was, e.g. "monitor".')
    source_id = models.CharField(max_length=100)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.CharField(max_length=40)
    target = GenericForeignKey("content_type", "object_id")
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["source", "kind", "id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "kind", "source_id"], name="imported_object_once"),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.kind} {self.source_id}"
