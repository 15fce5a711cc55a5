"""The page lane's claim index (comms.outbox: pages are claimed and sent apart from bulk rows)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("comms", "0006_subscribers"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(
                condition=models.Q(("page__isnull", False), ("state", "queued")),
                fields=["channel", "next_attempt_at"],
                name="notification_page_due_idx",
            ),
        ),
    ]
