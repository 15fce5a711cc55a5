"""Reputation watch moved to its own app (issue #16): its models leave monitoring's state only.

The tables stay as they are, under their names (monitoring_brand, monitoring_mentionsource,
monitoring_mention, monitoring_mentionspike), now described by reputation/migrations/0001_initial.py,
which runs first. Nothing in the database changes, and no row is lost.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0007_replicas_of_shared_components"),
        ("reputation", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                # The foreign keys between the four go first, so each model can be deleted alone.
                migrations.RemoveField(model_name="mentionsource", name="brand"),
                migrations.RemoveField(model_name="mention", name="brand"),
                migrations.RemoveField(model_name="mention", name="source"),
                migrations.DeleteModel(name="Brand"),
                migrations.DeleteModel(name="Mention"),
                migrations.DeleteModel(name="MentionSource"),
                migrations.DeleteModel(name="MentionSpike"),
            ]
        )
    ]
