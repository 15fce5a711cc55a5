# Status page subscribers (email, SMS, webhook), the maintenance notices they get, and the outbox
# rows' links to both. Only new tables, columns and constraints: reversible, nothing lost.

import comms.models.subscribers
import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("comms", "0005_status_page"),
        ("incidents", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="MaintenanceNotice",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "moment",
                    models.CharField(
                        choices=[
                            ("created", "Scheduled"),
                            ("changed", "Changed"),
                            ("reminder", "Starts soon"),
                            ("started", "In progress"),
                            ("completed", "Completed"),
                        ],
                        max_length=10,
                    ),
                ),
                (
                    "key",
                    models.CharField(
                        help_text="What makes this notice once-only: the moment, and for some a time.", max_length=64
                    ),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("planned_at", models.DateTimeField(blank=True, null=True)),
                ("recipients", models.PositiveIntegerField(default=0)),
                (
                    "maintenance",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="notices",
                        to="comms.scheduledmaintenance",
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-id"],
            },
        ),
        migrations.AddField(
            model_name="notification",
            name="notice",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="notifications",
                to="comms.maintenancenotice",
            ),
        ),
        migrations.CreateModel(
            name="Subscriber",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[("email", "Email"), ("sms", "SMS"), ("webhook", "Webhook")], max_length=8
                    ),
                ),
                (
                    "address",
                    models.CharField(help_text="The email address, E.164 number or webhook URL.", max_length=500),
                ),
                (
                    "token",
                    models.CharField(
                        default=comms.models.subscribers.new_token, editable=False, max_length=32, unique=True
                    ),
                ),
                (
                    "secret",
                    models.CharField(
                        blank=True,
                        help_text="Webhook: the HMAC-SHA256 key its requests are signed with.",
                        max_length=64,
                    ),
                ),
                ("confirmed_at", models.DateTimeField(blank=True, null=True)),
                ("code_hash", models.CharField(blank=True, max_length=128)),
                ("code_sent_at", models.DateTimeField(blank=True, null=True)),
                ("code_attempts", models.PositiveSmallIntegerField(default=0)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "components",
                    models.ManyToManyField(
                        blank=True,
                        help_text="Empty: every component.",
                        related_name="subscribers",
                        to="incidents.component",
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-id"],
            },
        ),
        migrations.AddField(
            model_name="notification",
            name="subscriber",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="notifications",
                to="comms.subscriber",
            ),
        ),
        migrations.AddConstraint(
            model_name="notification",
            constraint=models.UniqueConstraint(
                condition=models.Q(("subscriber__isnull", False), ("update__isnull", False)),
                fields=("update", "subscriber"),
                name="notification_once_per_update_subscriber",
            ),
        ),
        migrations.AddConstraint(
            model_name="notification",
            constraint=models.UniqueConstraint(
                condition=models.Q(("notice__isnull", False), ("subscriber__isnull", False)),
                fields=("notice", "subscriber"),
                name="notification_once_per_notice_subscriber",
            ),
        ),
        migrations.AddConstraint(
            model_name="maintenancenotice",
            constraint=models.UniqueConstraint(fields=("maintenance", "key"), name="maintenance_notice_once"),
        ),
        migrations.AddIndex(
            model_name="subscriber",
            index=models.Index(fields=["confirmed_at"], name="subscriber_confirmed_idx"),
        ),
        migrations.AddConstraint(
            model_name="subscriber",
            constraint=models.UniqueConstraint(fields=("kind", "address"), name="subscriber_once_per_address"),
        ),
    ]
