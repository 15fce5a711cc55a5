"""What else named reputation watch by its old app: content types and beat's periodic tasks.

- Content types: the four models' rows move from app_label "monitoring" to "reputation", so their
  permissions (and every group and user holding them), admin log entries and anything else that
  points at a content type keep pointing at the same models. Where "reputation" already has its own
  row for a model (a database that went through post_migrate half way), the old row is left alone.
- django-celery-beat keeps beat's schedule in the database (PeriodicTask, one row per entry, the
  task named in its `task` field). Beat rewrites the entries of CELERY_BEAT_SCHEDULE by name when it
  starts, but not rows added in the admin, and a beat that has not restarted yet would keep sending
  the old names, which no worker knows any more: every row naming monitoring.reputation.tasks.* is
  renamed here, and beat is told its schedule changed (PeriodicTasks.last_update).
"""

from django.db import migrations
from django.utils import timezone

MODELS = ["brand", "mention", "mentionsource", "mentionspike"]
OLD_TASKS, NEW_TASKS = "monitoring.reputation.tasks.", "reputation.tasks."


def _move_content_types(apps, old_label: str, new_label: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        if not ContentType.objects.filter(app_label=new_label, model=model).exists():
            ContentType.objects.filter(app_label=old_label, model=model).update(app_label=new_label)


def _rename_tasks(apps, old_prefix: str, new_prefix: str) -> None:
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    renamed = 0
    for task in PeriodicTask.objects.filter(task__startswith=old_prefix):
        task.task = new_prefix + task.task.removeprefix(old_prefix)
        task.save(update_fields=["task"])
        renamed += 1
    if renamed:
        # What DatabaseScheduler watches to reload its schedule (PeriodicTasks.update_changed()).
        PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def forwards(apps, schema_editor) -> None:
    _move_content_types(apps, "monitoring", "reputation")
    _rename_tasks(apps, OLD_TASKS, NEW_TASKS)


def backwards(apps, schema_editor) -> None:
    _move_content_types(apps, "reputation", "monitoring")
    _rename_tasks(apps, NEW_TASKS, OLD_TASKS)


class Migration(migrations.Migration):
    dependencies = [
        ("reputation", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("django_celery_beat", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
