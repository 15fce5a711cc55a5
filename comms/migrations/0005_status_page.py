# The public status page: scheduled maintenance with its public updates, and the page's branding.
# Written beside the other 0003s of comms; 0005_merge_status_page joins them.

import comms.models.status
import django.core.validators
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("comms", "0004_templates_and_cadence"),
        ("incidents", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ScheduledMaintenance",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("title", models.CharField(max_length=200)),
                ("message", models.TextField(help_text="What customers read: what is done, and what they may notice.")),
                ("starts_at", models.DateTimeField()),
                ("ends_at", models.DateTimeField()),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("scheduled", "Scheduled"),
                            ("in_progress", "In progress"),
                            ("verifying", "Verifying"),
                            ("completed", "Completed"),
                        ],
                        db_index=True,
                        default="scheduled",
                        max_length=12,
                    ),
                ),
                ("started_at", models.DateTimeField(blank=True, null=True)),
                ("completed_at", models.DateTimeField(blank=True, null=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("components", models.ManyToManyField(related_name="scheduled_maintenances", to="incidents.component")),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-starts_at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="MaintenanceUpdate",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("scheduled", "Scheduled"),
                            ("in_progress", "In progress"),
                            ("verifying", "Verifying"),
                            ("completed", "Completed"),
                        ],
                        max_length=12,
                    ),
                ),
                ("message", models.TextField()),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "maintenance",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="updates",
                        to="comms.scheduledmaintenance",
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="StatusPageBranding",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "name",
                    models.CharField(
                        default="Status", help_text="The page's name, in its title and header.", max_length=100
                    ),
                ),
                (
                    "page_id",
                    models.CharField(
                        default=comms.models.status.default_page_id,
                        help_text="The page's id in the Statuspage-compatible JSON.",
                        max_length=32,
                    ),
                ),
                (
                    "logo_url",
                    models.URLField(
                        blank=True,
                        help_text="An image shown in the header.",
                        validators=[comms.models.status.validate_public_url],
                    ),
                ),
                (
                    "accent_colour",
                    models.CharField(
                        default="#3056d3",
                        max_length=7,
                        validators=[django.core.validators.RegexValidator("^#[0-9a-fA-F]{6}$", "A colour as #rrggbb.")],
                    ),
                ),
                (
                    "footer_links",
                    models.TextField(
                        blank=True,
                        help_text="One link a line: label | https://address (say, Terms | https://example.com/terms).",
                    ),
                ),
                (
                    "support_contact",
                    models.CharField(
                        blank=True,
                        help_text="An email address or an http(s) address where customers get help.",
                        max_length=200,
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
            options={
                "verbose_name": "status page branding",
                "verbose_name_plural": "status page branding",
                "constraints": [
                    models.CheckConstraint(condition=models.Q(("id", 1)), name="status_branding_singleton")
                ],
            },
        ),
        migrations.AddIndex(
            model_name="scheduledmaintenance",
            index=models.Index(fields=["status", "starts_at", "ends_at"], name="maintenance_due_idx"),
        ),
        migrations.AddConstraint(
            model_name="scheduledmaintenance",
            constraint=models.CheckConstraint(
                condition=models.Q(("ends_at__gt", models.F("starts_at"))), name="scheduled_maintenance_order"
            ),
        ),
    ]
